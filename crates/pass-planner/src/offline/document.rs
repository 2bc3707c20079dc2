//! A PRD read into units by a CommonMark parser: headings (Markdown and
//! bold-only lines), list items (bullets, numbered, checklists), table rows
//! with their header, prose lines and code blocks, each with its heading path
//! and the list item or label line it hangs under.
//!
//! The parser, not a line classifier, decides what is a list, a table or
//! code, so hard-wrapped items, lazy continuation lines and tables with
//! escaped pipes read as their author meant. Prose paragraphs are kept line
//! by line: PRDs put one statement per line (an id alone on a line, then its
//! text; Given / When / Then) far more often than they wrap prose.

use std::ops::Range;
use std::rc::Rc;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Markdown heading (1-6) or a bold-only line (7).
    Heading(u8),
    Bullet,
    Numbered,
    /// `- [ ]` (false) or `- [x]` (true).
    Check(bool),
    TableRow,
    Text,
    Code,
}

#[derive(Debug, Clone)]
pub struct Line {
    /// A verbatim, single-line excerpt of the PRD: the unit's first line
    /// without its list or heading marker (a table row: the whole row).
    pub raw: String,
    pub kind: Kind,
    /// List nesting depth (0 outside lists and for top-level items).
    pub indent: usize,
    /// The plain words: emphasis and link marks removed, inline code kept in
    /// backticks, line breaks inside an item joined with a space.
    pub text: String,
    /// Headings enclosing this unit, outermost first (a heading includes itself).
    pub path: Rc<Vec<String>>,
    /// For list items and prose inside them: the enclosing list item, or the
    /// label (prose ending in ':' or a bold-only line) the list follows.
    pub parent: Option<usize>,
    /// Table rows: the plain cells, and the verbatim cells for excerpts.
    pub cells: Vec<String>,
    pub raw_cells: Vec<String>,
    /// Table rows: the header's cells, lower case.
    pub header: Option<Rc<Vec<String>>>,
    /// Struck-through text (`~~done~~`), which PRDs use for finished items.
    pub struck: bool,
}

impl Line {
    pub fn is_item(&self) -> bool {
        matches!(self.kind, Kind::Bullet | Kind::Check(_) | Kind::Numbered)
    }

    pub fn is_heading(&self) -> bool {
        matches!(self.kind, Kind::Heading(_))
    }

    pub fn level(&self) -> Option<u8> {
        match self.kind {
            Kind::Heading(level) => Some(level),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Doc {
    pub lines: Vec<Line>,
}

/// The PRD as the reader sees it: without a byte-order mark, with `\n` line
/// ends, and with lines holding only an XML-ish tag (`<context>`, `</PRD>`)
/// blanked, since CommonMark would otherwise swallow the Markdown after them
/// into an HTML block. Every line of the result is a line of the input, so
/// single-line excerpts of it are verbatim excerpts of the PRD.
///
/// A template prompt that spans lines (`[List the main features:` … `- How
/// it works]`) keeps only its first line, which reads as a placeholder: the
/// lines inside the brackets are instructions to whoever fills the template,
/// never features.
pub fn normalise(source: &str) -> String {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let lines: Vec<&str> = source
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut blank = vec![false; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if is_tag_line(trimmed) {
            blank[i] = true;
        } else if trimmed.starts_with('[') && !trimmed.contains(']') && !blank[i] {
            if let Some(end) = (i + 1..lines.len().min(i + 16)).find(|j| {
                let t = lines[*j].trim();
                t.ends_with(']') && !t.contains('[')
            }) {
                for flag in &mut blank[i + 1..=end] {
                    *flag = true;
                }
            }
        }
    }
    let mut out = String::with_capacity(source.len());
    for (line, blank) in lines.iter().zip(blank) {
        if !blank {
            out.push_str(line);
        }
        out.push('\n');
    }
    out.pop();
    out
}

fn is_tag_line(trimmed: &str) -> bool {
    let Some(inner) = trimmed.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    let name = inner.strip_prefix('/').unwrap_or(inner);
    !name.is_empty()
        && name.len() < 40
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// What is being collected while the parser walks one block.
#[derive(Debug, Default)]
struct Pending {
    kind: Option<Kind>,
    /// Plain text per physical line.
    lines: Vec<String>,
    /// Source offset where each line's first inline piece starts.
    starts: Vec<Option<usize>>,
    /// Whether each line has text outside bold, and inside it.
    plain_outside: Vec<bool>,
    plain_inside: Vec<bool>,
    struck_chars: usize,
    text_chars: usize,
}

impl Pending {
    fn open(kind: Kind) -> Self {
        Self {
            kind: Some(kind),
            lines: vec![String::new()],
            starts: vec![None],
            plain_outside: vec![false],
            plain_inside: vec![false],
            ..Self::default()
        }
    }

    fn push(&mut self, text: &str, at: usize, strong: bool, struck: bool) {
        if self.lines.is_empty() {
            self.lines.push(String::new());
            self.starts.push(None);
            self.plain_outside.push(false);
            self.plain_inside.push(false);
        }
        let i = self.lines.len() - 1;
        if self.starts[i].is_none() && !text.trim().is_empty() {
            self.starts[i] = Some(at);
        }
        self.lines[i].push_str(text);
        let meaningful = text.trim().trim_matches(':').trim();
        if !meaningful.is_empty() {
            if strong {
                self.plain_inside[i] = true;
            } else {
                self.plain_outside[i] = true;
            }
            let n = meaningful.chars().count();
            self.text_chars += n;
            if struck {
                self.struck_chars += n;
            }
        }
    }

    fn newline(&mut self) {
        self.lines.push(String::new());
        self.starts.push(None);
        self.plain_outside.push(false);
        self.plain_inside.push(false);
    }
}

struct Builder<'s> {
    source: &'s str,
    lines: Vec<Line>,
    headings: Vec<(u8, String)>,
    path: Rc<Vec<String>>,
    /// Open list items: (depth, unit index of the item, or None until its text is read).
    items: Vec<Option<usize>>,
    /// The label a list that starts now would hang under.
    label: Option<usize>,
    /// Label for each open list, by depth.
    list_labels: Vec<Option<usize>>,
    /// For each open list: the number of units before it began, and its items.
    list_starts: Vec<(usize, usize)>,
    ordered: Vec<bool>,
    pending: Option<Pending>,
    strong: usize,
    struck: usize,
    link_depth: usize,
    table_header: Option<Rc<Vec<String>>>,
    row_cells: Vec<String>,
    row_raw_cells: Vec<String>,
    row_range: Option<Range<usize>>,
    in_header: bool,
    header_cells: Vec<String>,
    cell: Option<(String, Range<usize>)>,
    code: Option<String>,
    task: Option<bool>,
}

impl<'s> Builder<'s> {
    fn depth(&self) -> usize {
        self.items.len().saturating_sub(1)
    }

    fn line_start(&self, at: usize) -> usize {
        self.source[..at].rfind('\n').map_or(0, |p| p + 1)
    }

    fn line_end(&self, at: usize) -> usize {
        self.source[at..]
            .find('\n')
            .map_or(self.source.len(), |p| at + p)
    }

    /// Ends the pending block and turns it into units.
    fn flush(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let Some(kind) = pending.kind else { return };
        let struck = pending.text_chars > 0 && pending.struck_chars * 2 >= pending.text_chars;
        let in_item = self.items.last().is_some();
        let parent_item = self.items.iter().rev().flatten().next().copied();
        match kind {
            Kind::Heading(level) => {
                let text = join(&pending.lines);
                let raw = self.raw_from(pending.starts.iter().flatten().next().copied());
                self.open_heading(level, text, raw);
            }
            Kind::Bullet | Kind::Numbered | Kind::Check(_) => {
                let text = join(&pending.lines);
                if text.is_empty() {
                    return;
                }
                let raw = self.raw_from(pending.starts.iter().flatten().next().copied());
                let depth = self.depth();
                let parent = if depth == 0 {
                    self.list_labels.first().copied().flatten()
                } else {
                    self.items
                        .iter()
                        .rev()
                        .skip(1)
                        .flatten()
                        .next()
                        .copied()
                        .or(self.list_labels.first().copied().flatten())
                };
                let index = self.lines.len();
                self.lines.push(Line {
                    raw,
                    kind,
                    indent: depth,
                    text,
                    path: Rc::clone(&self.path),
                    parent,
                    cells: Vec::new(),
                    raw_cells: Vec::new(),
                    header: None,
                    struck,
                });
                if let Some(last) = self.items.last_mut() {
                    *last = Some(index);
                }
            }
            Kind::Text => {
                for (i, text) in pending.lines.iter().enumerate() {
                    let text = squash(text);
                    if text.is_empty() {
                        continue;
                    }
                    let raw = self.raw_from(pending.starts[i]);
                    let bold_only = pending.plain_inside[i]
                        && !pending.plain_outside[i]
                        && text.chars().count() > 2;
                    let index = self.lines.len();
                    if (bold_only || is_label_text(&text)) && !in_item {
                        let text = text.trim_end_matches([':', '：']).trim().to_owned();
                        self.open_heading(7, text, raw);
                        self.label = Some(index);
                        continue;
                    }
                    self.lines.push(Line {
                        raw,
                        kind: Kind::Text,
                        indent: self.depth(),
                        text: text.clone(),
                        path: Rc::clone(&self.path),
                        parent: if in_item { parent_item } else { None },
                        cells: Vec::new(),
                        raw_cells: Vec::new(),
                        header: None,
                        struck,
                    });
                    if !in_item {
                        self.label = text.ends_with(':').then_some(index);
                    }
                }
            }
            Kind::TableRow | Kind::Code => {}
        }
    }

    /// A top-level list of one childless item that ends in a colon
    /// ("3. Features (Ключовий функціонал):") labels what follows, as a
    /// heading would: plain-text PRDs number their sections that way.
    fn label_list(&mut self, first: usize) {
        if self.lines.len() != first + 1 {
            return;
        }
        let is_label = self.lines[first].is_item() && is_label_text(&self.lines[first].text);
        if !is_label {
            return;
        }
        if let Some(item) = self.lines.pop() {
            let text = item.text.trim_end_matches([':', '：']).trim().to_owned();
            let index = self.lines.len();
            self.open_heading(7, text, item.raw);
            self.label = Some(index);
        }
    }

    fn raw_from(&self, start: Option<usize>) -> String {
        match start {
            Some(at) => self.source[at..self.line_end(at)].trim().to_owned(),
            None => String::new(),
        }
    }

    fn open_heading(&mut self, level: u8, text: String, raw: String) {
        while self.headings.last().is_some_and(|(l, _)| *l >= level) {
            self.headings.pop();
        }
        self.headings.push((level, text.clone()));
        self.path = Rc::new(self.headings.iter().map(|(_, t)| t.clone()).collect());
        self.label = None;
        self.lines.push(Line {
            raw,
            kind: Kind::Heading(level),
            indent: 0,
            text,
            path: Rc::clone(&self.path),
            parent: None,
            cells: Vec::new(),
            raw_cells: Vec::new(),
            header: None,
            struck: false,
        });
    }

    fn text(&mut self, text: &str, range: Range<usize>) {
        if let Some(code) = self.code.as_mut() {
            code.push_str(text);
            return;
        }
        if let Some((cell, _)) = self.cell.as_mut() {
            cell.push_str(text);
            return;
        }
        let strong = self.strong > 0;
        let struck = self.struck > 0;
        if self.pending.is_none() {
            // Text straight inside a tight list item.
            let kind = self.item_kind();
            self.pending = Some(Pending::open(kind));
        }
        if let Some(p) = self.pending.as_mut() {
            p.push(text, range.start, strong, struck);
        }
    }

    fn item_kind(&mut self) -> Kind {
        if self.items.last().is_some_and(Option::is_none) {
            match self.task.take() {
                Some(done) => Kind::Check(done),
                None if self.ordered.last().copied().unwrap_or(false) => Kind::Numbered,
                None => Kind::Bullet,
            }
        } else {
            Kind::Text
        }
    }

    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text, range),
            Event::Code(code) => self.text(&format!("`{code}`"), range),
            Event::InlineHtml(html) | Event::InlineMath(html) | Event::DisplayMath(html) => {
                if html.to_ascii_lowercase().starts_with("<br") {
                    self.text("; ", range);
                } else if !html.starts_with("<!--") {
                    self.text(&html, range);
                }
            }
            Event::Html(html) => {
                // An HTML block PRDs use for placeholders (`<describe it>`) or notes.
                let trimmed = html.trim();
                if !trimmed.is_empty() && !trimmed.starts_with("<!--") {
                    self.flush();
                    self.pending = Some(Pending::open(Kind::Text));
                    if let Some(p) = self.pending.as_mut() {
                        p.push(trimmed, range.start, false, false);
                    }
                    self.flush();
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((cell, _)) = self.cell.as_mut() {
                    cell.push(' ');
                } else if let Some(p) = self.pending.as_mut() {
                    p.newline();
                }
            }
            Event::TaskListMarker(done) => self.task = Some(done),
            Event::FootnoteReference(_) | Event::Rule => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                self.pending = Some(Pending::open(Kind::Heading(heading_level(level))));
            }
            Tag::Paragraph => {
                if self.pending.is_some() && self.items.last().is_some_and(Option::is_none) {
                    // A loose item's first paragraph is the item itself.
                    return;
                }
                self.flush();
                let kind = self.item_kind();
                self.pending = Some(Pending::open(kind));
            }
            Tag::List(first) => {
                self.flush();
                self.list_starts.push((self.lines.len(), 0));
                self.ordered.push(first.is_some());
                let label = if self.items.is_empty() {
                    self.label
                } else {
                    None
                };
                self.list_labels.push(label);
            }
            Tag::Item => {
                self.flush();
                if let Some((_, items)) = self.list_starts.last_mut() {
                    *items += 1;
                }
                self.items.push(None);
                self.task = None;
            }
            Tag::CodeBlock(_) => {
                self.flush();
                self.code = Some(String::new());
            }
            Tag::Table(_) => {
                self.flush();
                self.table_header = None;
            }
            Tag::TableHead => {
                self.in_header = true;
                self.header_cells.clear();
            }
            Tag::TableRow => {
                self.row_cells.clear();
                self.row_raw_cells.clear();
                self.row_range = Some(range);
            }
            Tag::TableCell => self.cell = Some((String::new(), range)),
            Tag::Strong => self.strong += 1,
            Tag::Strikethrough => self.struck += 1,
            Tag::Link { .. } | Tag::Image { .. } => self.link_depth += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::Paragraph => self.flush(),
            TagEnd::Item => {
                self.flush();
                self.items.pop();
            }
            TagEnd::List(_) => {
                self.flush();
                self.ordered.pop();
                self.list_labels.pop();
                let started = self.list_starts.pop();
                if self.items.is_empty() {
                    self.label = None;
                    if let Some((first, 1)) = started {
                        self.label_list(first);
                    }
                }
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.lines.push(Line {
                        raw: String::new(),
                        kind: Kind::Code,
                        indent: self.depth(),
                        text: code,
                        path: Rc::clone(&self.path),
                        parent: None,
                        cells: Vec::new(),
                        raw_cells: Vec::new(),
                        header: None,
                        struck: false,
                    });
                }
            }
            TagEnd::TableCell => {
                if let Some((cell, range)) = self.cell.take() {
                    let plain = squash(&cell);
                    if self.in_header {
                        self.header_cells.push(plain.to_lowercase());
                    } else {
                        self.row_raw_cells.push(
                            self.source[range]
                                .trim()
                                .trim_matches('|')
                                .trim()
                                .to_owned(),
                        );
                        self.row_cells.push(plain);
                    }
                }
            }
            TagEnd::TableHead => {
                self.in_header = false;
                self.table_header = Some(Rc::new(std::mem::take(&mut self.header_cells)));
            }
            TagEnd::TableRow => {
                let range = self.row_range.take().unwrap_or(0..0);
                let start = self.line_start(range.start.min(self.source.len()));
                let raw = self.source[start..self.line_end(start)].trim().to_owned();
                let cells = std::mem::take(&mut self.row_cells);
                let raw_cells = std::mem::take(&mut self.row_raw_cells);
                let struck = self.struck > 0;
                self.lines.push(Line {
                    raw,
                    kind: Kind::TableRow,
                    indent: 0,
                    text: cells.join(" | "),
                    path: Rc::clone(&self.path),
                    parent: None,
                    cells,
                    raw_cells,
                    header: self.table_header.clone(),
                    struck,
                });
            }
            TagEnd::Table => self.table_header = None,
            TagEnd::Strong => self.strong = self.strong.saturating_sub(1),
            TagEnd::Strikethrough => self.struck = self.struck.saturating_sub(1),
            TagEnd::Link | TagEnd::Image => self.link_depth = self.link_depth.saturating_sub(1),
            _ => {}
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A short line ending in a colon that names what follows ("Core Features
/// (POC Phase):", "Non-functional Requirements:"): plain-text PRDs write
/// their section headings this way. A sentence ("The board has three
/// columns:") is not one.
fn is_label_text(text: &str) -> bool {
    let Some(name) = text.trim().strip_suffix([':', '：']) else {
        return false;
    };
    let name = name.trim();
    let words = name.split_whitespace().count();
    (1..=6).contains(&words)
        && !name.contains(['.', '!', '?', ':', ';', '。', '：'])
        && name.chars().next().is_some_and(|c| !c.is_lowercase())
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn join(lines: &[String]) -> String {
    squash(&lines.join(" "))
}

impl Doc {
    /// Parses `source` (already [`normalise`]d).
    pub fn parse(source: &str) -> Self {
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_FOOTNOTES;
        let mut builder = Builder {
            source,
            lines: Vec::new(),
            headings: Vec::new(),
            path: Rc::new(Vec::new()),
            items: Vec::new(),
            label: None,
            list_labels: Vec::new(),
            list_starts: Vec::new(),
            ordered: Vec::new(),
            pending: None,
            strong: 0,
            struck: 0,
            link_depth: 0,
            table_header: None,
            row_cells: Vec::new(),
            row_raw_cells: Vec::new(),
            row_range: None,
            in_header: false,
            header_cells: Vec::new(),
            cell: None,
            code: None,
            task: None,
        };
        for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
            builder.event(event, range);
        }
        builder.flush();
        Self {
            lines: builder.lines,
        }
    }

    /// Consecutive prose lines starting at `start`, joined with spaces.
    pub fn paragraph(&self, start: usize) -> String {
        let mut parts = Vec::new();
        for line in &self.lines[start..] {
            if line.kind != Kind::Text || line.parent != self.lines[start].parent {
                break;
            }
            parts.push(line.text.as_str());
            if line.text.ends_with(':') {
                break;
            }
        }
        parts.join(" ")
    }

    /// Heading path and labels above `index`, lower case: what a unit is "about".
    pub fn context(&self, index: usize) -> String {
        let line = &self.lines[index];
        let mut text = line.path.join(" / ").to_lowercase();
        let mut parent = line.parent;
        let mut guard = 0;
        while let Some(p) = parent {
            text.push_str(" / ");
            text.push_str(&self.lines[p].text.to_lowercase());
            parent = self.lines[p].parent;
            guard += 1;
            if guard > 16 {
                break;
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(doc: &Doc) -> Vec<Kind> {
        doc.lines.iter().map(|l| l.kind).collect()
    }

    #[test]
    fn reads_structure() {
        let doc = Doc::parse(&normalise(
            "# Title\n\nIntro:\n- a\n  - [ ] b\n\n1) step one\n\n**Label**:\n* c\n```\n- not a bullet\n```\n",
        ));
        // A short "Label:" line is a heading the list hangs under.
        assert_eq!(
            kinds(&doc),
            vec![
                Kind::Heading(1),
                Kind::Heading(7),
                Kind::Bullet,
                Kind::Check(false),
                Kind::Numbered,
                Kind::Heading(7),
                Kind::Bullet,
                Kind::Code,
            ]
        );
        assert_eq!(doc.lines[2].parent, Some(1));
        assert_eq!(doc.lines[3].parent, Some(2));
        assert_eq!(doc.lines[3].text, "b");
        assert_eq!(doc.lines[6].parent, Some(5));
        assert_eq!(doc.lines[6].path.as_slice(), ["Title", "Label"]);
    }

    #[test]
    fn a_template_prompt_over_several_lines_is_one_placeholder() {
        let source = "# Core Features\n[List the main features. For each, include:\n- What it does\n- How it works]\n\n# Next\n- [ ] a real task\n";
        let normalised = normalise(source);
        assert!(!normalised.contains("What it does"), "{normalised}");
        assert!(normalised.contains("[List the main features"));
        assert!(normalised.contains("- [ ] a real task"));
        assert_eq!(normalised.lines().count(), source.lines().count());
    }

    #[test]
    fn numbered_labels_and_label_lines_head_what_follows() {
        let doc = Doc::parse(&normalise(
            "未來考慮：\n\n- 離線地圖\n\n1. Goals (Цілі):\n- faster admin work\n\n3. Features (Ключовий функціонал):\n- Search for a user\n- Add a user to a group\n\nThe board has three columns, each with a name:\n- Out\n\n1. First step:\n   - nested detail\n",
        ));
        let headings: Vec<&str> = doc
            .lines
            .iter()
            .filter(|l| l.kind == Kind::Heading(7))
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(
            headings,
            ["未來考慮", "Goals (Цілі)", "Features (Ключовий функціонал)"]
        );
        let search = doc
            .lines
            .iter()
            .find(|l| l.text == "Search for a user")
            .unwrap();
        assert_eq!(
            search.path.last().map(String::as_str),
            Some("Features (Ключовий функціонал)")
        );
        // A sentence ending in a colon, and an item with children, stay what they are.
        assert!(
            doc.lines
                .iter()
                .any(|l| l.kind == Kind::Text && l.text.starts_with("The board"))
        );
        assert!(
            doc.lines
                .iter()
                .any(|l| l.kind == Kind::Numbered && l.text == "First step:")
        );
    }

    #[test]
    fn tags_bom_and_crlf_do_not_change_the_reading() {
        let plain = "# A\n\n- one\n- two\n";
        let wrapped = "\u{feff}<context>\r\n# A\r\n\r\n- one\r\n- two\r\n</context>\r\n";
        let a = Doc::parse(&normalise(plain));
        let b = Doc::parse(&normalise(wrapped));
        let texts = |d: &Doc| d.lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&a), texts(&b));
        assert_eq!(kinds(&a), kinds(&b));
    }

    #[test]
    fn wrapped_items_join_and_prose_keeps_its_lines() {
        let doc = Doc::parse(&normalise(
            "- FR-1: Staff can export\n  the weekly rota.\n\nGiven a rota\nWhen it is exported\n",
        ));
        assert_eq!(doc.lines[0].text, "FR-1: Staff can export the weekly rota.");
        assert_eq!(doc.lines[0].raw, "FR-1: Staff can export");
        assert_eq!(doc.lines[1].text, "Given a rota");
        assert_eq!(doc.lines[2].text, "When it is exported");
    }

    #[test]
    fn tables_keep_every_cell_with_the_header() {
        let doc = Doc::parse(&normalise(
            "| ID | Title | Acceptance |\n|---|---|---|\n| R-1 | **Export** | CSV opens; totals match |\n",
        ));
        let row = &doc.lines[0];
        assert_eq!(row.kind, Kind::TableRow);
        assert_eq!(row.cells, ["R-1", "Export", "CSV opens; totals match"]);
        assert_eq!(row.raw_cells[1], "**Export**");
        assert_eq!(
            row.header.as_deref().map(Vec::as_slice),
            Some(&["id".to_owned(), "title".to_owned(), "acceptance".to_owned()][..])
        );
    }
}
