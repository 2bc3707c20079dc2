//! A PRD read as lines with structure: headings (Markdown and bold-only
//! lines), bullets, checklists, numbered items, table rows and prose, each
//! with its heading path and the list item or label line it hangs under.
//! Fenced code is kept apart so file trees and JSON are never read as
//! requirements.

use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Blank,
    /// Markdown heading (1-6) or a bold-only line (7).
    Heading(u8),
    Bullet,
    /// `- [ ]` or `- [x]`.
    Check,
    Numbered,
    TableRow,
    /// Inside a fenced block, a fence, an XML-ish tag line or a table rule.
    Code,
    Text,
}

#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// The line as written, without its end of line.
    pub raw: &'a str,
    pub kind: Kind,
    pub indent: usize,
    /// The text after list or heading markers (trimmed).
    pub text: &'a str,
    /// Headings enclosing this line, outermost first (the heading itself
    /// included for heading lines).
    pub path: Rc<Vec<String>>,
    /// For list items: the enclosing list item, or the label line
    /// (prose ending in ':' or a bold-only line) the list follows.
    pub parent: Option<usize>,
}

impl Line<'_> {
    pub fn is_item(&self) -> bool {
        matches!(self.kind, Kind::Bullet | Kind::Check | Kind::Numbered)
    }

    /// Heading path and label joined, lower-cased: what a list is "about".
    pub fn context(&self, doc: &Doc<'_>) -> String {
        let mut text = self.path.join(" / ").to_ascii_lowercase();
        let mut parent = self.parent;
        let mut guard = 0;
        while let Some(p) = parent {
            text.push_str(" / ");
            text.push_str(&doc.lines[p].text.to_ascii_lowercase());
            parent = doc.lines[p].parent;
            guard += 1;
            if guard > 16 {
                break;
            }
        }
        text
    }
}

#[derive(Debug)]
pub struct Doc<'a> {
    pub lines: Vec<Line<'a>>,
}

impl<'a> Doc<'a> {
    pub fn parse(source: &'a str) -> Self {
        let mut lines: Vec<Line<'a>> = Vec::new();
        let mut in_fence = false;
        let mut headings: Vec<(u8, String)> = Vec::new();
        let mut path: Rc<Vec<String>> = Rc::new(Vec::new());
        // List items open at each indent, and the label the current list follows.
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut label: Option<usize> = None;

        for raw in source.lines() {
            let trimmed = raw.trim();
            let indent = raw.len() - raw.trim_start().len();
            let index = lines.len();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                in_fence = !in_fence;
                lines.push(line(raw, Kind::Code, indent, "", &path, None));
                continue;
            }
            if in_fence {
                lines.push(line(raw, Kind::Code, indent, trimmed, &path, None));
                continue;
            }
            if trimmed.is_empty() {
                lines.push(line(raw, Kind::Blank, indent, "", &path, None));
                continue;
            }
            if is_tag_line(trimmed) || is_table_rule(trimmed) {
                lines.push(line(raw, Kind::Code, indent, trimmed, &path, None));
                continue;
            }
            if let Some((level, text)) = heading(trimmed) {
                while headings.last().is_some_and(|(l, _)| *l >= level) {
                    headings.pop();
                }
                headings.push((level, clean_inline(text).to_owned()));
                path = Rc::new(headings.iter().map(|(_, t)| t.clone()).collect());
                open.clear();
                label = if level == 7 { Some(index) } else { None };
                lines.push(line(raw, Kind::Heading(level), indent, text, &path, None));
                continue;
            }
            let (kind, text) = if let Some(text) = checkbox(trimmed) {
                (Kind::Check, text)
            } else if let Some(text) = bullet(trimmed) {
                (Kind::Bullet, text)
            } else if let Some(text) = numbered(trimmed) {
                (Kind::Numbered, text)
            } else if trimmed.starts_with('|') {
                (Kind::TableRow, trimmed)
            } else {
                (Kind::Text, trimmed)
            };
            if matches!(kind, Kind::Bullet | Kind::Check | Kind::Numbered) {
                while open.last().is_some_and(|(i, _)| *i >= indent) {
                    open.pop();
                }
                let parent = open.last().map(|(_, l)| *l).or(label);
                open.push((indent, index));
                lines.push(line(raw, kind, indent, text, &path, parent));
            } else {
                if kind == Kind::Text {
                    open.clear();
                    label = text.ends_with(':').then_some(index);
                }
                lines.push(line(raw, kind, indent, text, &path, None));
            }
        }
        Self { lines }
    }

    /// Consecutive prose lines starting at `start`, joined with spaces.
    pub fn paragraph(&self, start: usize) -> String {
        let mut parts = Vec::new();
        for line in &self.lines[start..] {
            if line.kind != Kind::Text {
                break;
            }
            parts.push(line.text);
        }
        parts.join(" ")
    }
}

fn line<'a>(
    raw: &'a str,
    kind: Kind,
    indent: usize,
    text: &'a str,
    path: &Rc<Vec<String>>,
    parent: Option<usize>,
) -> Line<'a> {
    Line {
        raw,
        kind,
        indent,
        text,
        path: Rc::clone(path),
        parent,
    }
}

fn is_tag_line(trimmed: &str) -> bool {
    trimmed.starts_with('<')
        && trimmed.ends_with('>')
        && trimmed.len() < 40
        && !trimmed[1..trimmed.len() - 1].contains(['<', ' '])
}

fn is_table_rule(trimmed: &str) -> bool {
    trimmed.starts_with('|') && trimmed.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn heading(trimmed: &str) -> Option<(u8, &str)> {
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    if (1..=6).contains(&hashes) {
        let rest = &trimmed[hashes..];
        if rest.starts_with(' ') {
            return Some((hashes as u8, rest.trim()));
        }
    }
    // A bold-only line ("**Behavior**:") labels what follows like a heading.
    let inner = trimmed.strip_suffix(':').unwrap_or(trimmed);
    if inner.len() > 4 && inner.starts_with("**") && inner.ends_with("**") {
        let body = &inner[2..inner.len() - 2];
        if !body.contains("**") && !body.trim().is_empty() {
            return Some((7, body.trim()));
        }
    }
    None
}

fn bullet(trimmed: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ ", "• "] {
        if let Some(rest) = trimmed.strip_prefix(marker) {
            return Some(rest.trim());
        }
    }
    None
}

fn checkbox(trimmed: &str) -> Option<&str> {
    let rest = bullet(trimmed).unwrap_or(trimmed);
    for marker in ["[ ]", "[x]", "[X]"] {
        if let Some(text) = rest.strip_prefix(marker) {
            let text = text.trim();
            if !text.is_empty() {
                return Some(text);
            }
        }
    }
    None
}

fn numbered(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix('(').unwrap_or(trimmed);
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let after = &rest[digits..];
    let after = after
        .strip_prefix(". ")
        .or_else(|| after.strip_prefix(") "))
        .or_else(|| after.strip_prefix(".) "))?;
    let text = after.trim();
    (!text.is_empty()).then_some(text)
}

/// Removes Markdown emphasis and code marks around text, keeping the words.
pub fn clean_inline(text: &str) -> &str {
    let mut t = text.trim();
    loop {
        let before = t;
        for mark in ["**", "__", "`", "*", "_"] {
            if t.len() > 2 * mark.len() && t.starts_with(mark) && t.ends_with(mark) {
                t = t[mark.len()..t.len() - mark.len()].trim();
            }
        }
        t = t.trim_end_matches(':').trim();
        if t == before {
            return t;
        }
    }
}

/// Plain words of a Markdown fragment: emphasis marks and links removed.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '_' if chars.peek() == Some(&c) => {
                chars.next();
            }
            '*' => {}
            _ => out.push(c),
        }
    }
    let out = out.replace("(mdc:", "(");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_structure() {
        let doc = Doc::parse(
            "# Title\n\nIntro:\n- a\n  - [ ] b\n1) step one\n**Label**:\n* c\n```\n- not a bullet\n```\n",
        );
        let kinds: Vec<Kind> = doc.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Heading(1),
                Kind::Blank,
                Kind::Text,
                Kind::Bullet,
                Kind::Check,
                Kind::Numbered,
                Kind::Heading(7),
                Kind::Bullet,
                Kind::Code,
                Kind::Code,
                Kind::Code
            ]
        );
        assert_eq!(doc.lines[3].parent, Some(2));
        assert_eq!(doc.lines[4].parent, Some(3));
        assert_eq!(doc.lines[4].text, "b");
        assert_eq!(doc.lines[7].parent, Some(6));
        assert_eq!(doc.lines[7].path.as_slice(), ["Title", "Label"]);
    }
}
