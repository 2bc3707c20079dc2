//! What the PRD says, read from its own structure: title, summary, actors,
//! requirements with ids, priorities and acceptance criteria, workflows,
//! entities, integrations, NFR signals and open questions.

use std::collections::{BTreeMap, HashSet};

use pass_contracts::pack::{
    Auditability, Availability, Criticality, DataSensitivity, Direction, Latency, Priority, Scale,
};

use super::document::{Doc, Kind, Line, clean_inline, plain};
use crate::sections::{EntityDraft, IntegrationDraft, NfrsDraft, RequirementDraft, WorkflowDraft};

/// Most requirements the offline reader keeps; beyond, the pack says so.
pub const MAX_REQUIREMENTS: usize = 150;

#[derive(Debug, Default)]
pub struct Extracted {
    pub title: Option<String>,
    pub summary: String,
    pub actors: Vec<String>,
    pub requirements: Vec<RequirementDraft>,
    /// True when the PRD gave the ids.
    pub ids_from_prd: bool,
    pub workflows: Vec<WorkflowDraft>,
    pub entities: Vec<EntityDraft>,
    pub entities_inferred: bool,
    pub integrations: Vec<IntegrationDraft>,
    pub nfrs: Option<NfrsDraft>,
    pub nfr_notes: Vec<String>,
    pub explicit_questions: Vec<String>,
    pub out_of_scope: Vec<String>,
    pub placeholders: usize,
    pub dropped_requirements: usize,
    pub named_tech: NamedTech,
    pub signals: Signals,
}

/// Technologies the PRD itself names.
#[derive(Debug, Default, Clone)]
pub struct NamedTech {
    pub api: Option<&'static str>,
    pub web: Option<&'static str>,
    pub db: Option<&'static str>,
}

/// Words that steer the architecture.
#[derive(Debug, Default, Clone, Copy)]
pub struct Signals {
    pub background_work: bool,
    pub files: bool,
    pub local_only: bool,
    pub cli: bool,
    pub web_ui: bool,
    pub auth: bool,
    pub no_auth: bool,
    pub database: bool,
    pub local_file_store: bool,
    pub realtime: bool,
}

pub fn extract(source: &str) -> Extracted {
    let doc = Doc::parse(source);
    let lower = source.to_ascii_lowercase();
    let mut out = Extracted {
        title: title(&doc),
        ..Extracted::default()
    };
    let (requirements, ids_from_prd, placeholders, out_of_scope) = requirements(&doc);
    out.ids_from_prd = ids_from_prd;
    out.placeholders = placeholders;
    out.out_of_scope = out_of_scope;
    for line in doc.lines.iter().filter(|l| l.is_item()) {
        if matches!(path_priority(line, &doc), Some(Err(()))) {
            let item = plain(line.text);
            if !out.out_of_scope.contains(&item) && !is_placeholder(&item) {
                out.out_of_scope.push(item);
            }
        }
    }
    out.dropped_requirements = requirements.len().saturating_sub(MAX_REQUIREMENTS);
    out.requirements = requirements.into_iter().take(MAX_REQUIREMENTS).collect();
    out.summary = summary(&doc, &out.requirements);
    out.actors = actors(&doc);
    // Stories in tables name their actors only in the composed requirement text.
    for r in &out.requirements {
        let Some(rest) = r
            .text
            .strip_prefix("As a ")
            .or_else(|| r.text.strip_prefix("As an "))
        else {
            continue;
        };
        let actor = sentence_case(rest.split(',').next().unwrap_or("").trim());
        if !actor.is_empty()
            && actor.split_whitespace().count() <= 5
            && !out.actors.iter().any(|a| a.eq_ignore_ascii_case(&actor))
        {
            out.actors.push(actor);
        }
    }
    out.workflows = workflows(&doc);
    let (entities, inferred) = entities(&doc, &out.requirements);
    out.entities = entities;
    out.entities_inferred = inferred;
    out.signals = signals(&lower);
    out.integrations = integrations(&doc, &out.requirements);
    let (nfrs, notes) = nfrs(&lower, &out.integrations);
    out.nfrs = nfrs;
    out.nfr_notes = notes;
    out.explicit_questions = questions(&doc);
    out.named_tech = named_tech(&lower);
    out
}

// ---------------------------------------------------------------- words

/// Whether `needle` occurs in `haystack` (both lower case) as whole words.
pub fn has_word(haystack: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = haystack[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = !haystack[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let after_ok = !haystack[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return true;
        }
        from = start + needle.len().max(1);
        while from < haystack.len() && !haystack.is_char_boundary(from) {
            from += 1;
        }
        if from >= haystack.len() {
            break;
        }
    }
    false
}

fn any_word(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| has_word(haystack, n))
}

/// Template text: `<describe ...>`, `[Feature name]`, lorem ipsum, TBD/TODO.
fn looks_templated(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let bracketed = |open: char, close: char| {
        text.find(open)
            .and_then(|a| text[a..].find(close).map(|b| b > 1))
            .unwrap_or(false)
    };
    bracketed('<', '>') && !text.contains("</") && !text.contains("/>")
        || (bracketed('[', ']') && !text.contains("]("))
        || any_word(&lower, &["lorem", "tbd", "xxx", "placeholder"])
        || text.contains("TODO")
        || lower.contains("describe the")
        || lower.contains("feature name")
}

fn is_placeholder(text: &str) -> bool {
    let stripped: String = {
        let mut out = String::new();
        let mut depth = 0i32;
        for c in text.chars() {
            match c {
                '<' | '[' | '{' => depth += 1,
                '>' | ']' | '}' => depth -= 1,
                _ if depth <= 0 => out.push(c),
                _ => {}
            }
        }
        out
    };
    let words = stripped
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    words < 2 || (looks_templated(text) && words < 4) || text.trim().trim_end_matches('.') == "..."
}

/// Priority named by a heading or label (MoSCoW, P0-P3); `Err` for won't-have.
fn moscow(text: &str) -> Option<Result<Priority, ()>> {
    let l = text.to_ascii_lowercase();
    if l.contains("won't")
        || l.contains("wont have")
        || l.contains("will not")
        || l.contains("out of scope")
        || l.contains("non-goal")
        || l.contains("not in scope")
    {
        return Some(Err(()));
    }
    if has_word(&l, "must") || has_word(&l, "p0") || l.contains("must-have") {
        return Some(Ok(Priority::Must));
    }
    if has_word(&l, "should") || has_word(&l, "p1") {
        return Some(Ok(Priority::Should));
    }
    if has_word(&l, "could")
        || has_word(&l, "p2")
        || has_word(&l, "p3")
        || l.contains("nice to have")
        || l.contains("nice-to-have")
    {
        return Some(Ok(Priority::Could));
    }
    None
}

/// Priority from the words of a requirement line itself.
fn word_priority(text: &str) -> Option<Priority> {
    let l = text.to_ascii_lowercase();
    if any_word(&l, &["p0", "must", "shall", "required", "critical"]) {
        Some(Priority::Must)
    } else if any_word(&l, &["p1", "should", "important"]) {
        Some(Priority::Should)
    } else if any_word(&l, &["p2", "p3", "could", "optional", "later"])
        || l.contains("nice to have")
    {
        Some(Priority::Could)
    } else {
        None
    }
}

fn path_priority(line: &Line<'_>, doc: &Doc<'_>) -> Option<Result<Priority, ()>> {
    let mut parent = line.parent;
    while let Some(p) = parent {
        if let Some(found) = moscow(doc.lines[p].text) {
            return Some(found);
        }
        parent = doc.lines[p].parent;
    }
    line.path.iter().rev().find_map(|h| moscow(h))
}

const EXCLUDED_ID_PREFIXES: &[&str] = &[
    "P", "Q", "V", "H", "HTTP", "ISO", "UTF", "SHA", "MD", "ES", "IPV", "OAUTH", "TLS", "SSL",
    "HTML", "CSS", "API", "JSON", "AWS", "GCP", "W", "X", "Y", "Z", "ID", "UUID", "S", "TO",
];

/// A leading requirement id (`FR-001`, `FR1.2`, `REQ-7`, `U10`) and the text after it.
pub fn leading_id(text: &str) -> Option<(String, &str)> {
    let t = text.trim_start_matches(['*', '`', '[', '_', ' ']);
    let bytes = t.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || letters > 6 {
        return None;
    }
    let mut i = letters;
    if i < bytes.len() && matches!(bytes[i], b'-' | b'_') {
        i += 1;
    }
    let digits_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    while i + 1 < bytes.len() && matches!(bytes[i], b'.' | b'-') && bytes[i + 1].is_ascii_digit() {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < bytes.len() && (bytes[i].is_ascii_alphanumeric()) {
        return None;
    }
    if EXCLUDED_ID_PREFIXES.contains(&&t[..letters]) {
        return None;
    }
    let id = t[..i].to_owned();
    let rest = t[i..]
        .trim_start_matches(['*', '`', ']', '_', ':', '-', '–', '—', ')', '.', '|', ' '])
        .trim();
    Some((id, rest))
}

fn sentence_case(text: &str) -> String {
    let text = plain(text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------- title and summary

const GENERIC_HEADINGS: &[&str] = &[
    "overview",
    "context",
    "introduction",
    "summary",
    "background",
    "product requirements document",
    "prd",
    "core features",
    "features",
    "requirements",
    "user experience",
    "technical architecture",
    "goals",
    "problem statement",
    "executive summary",
    "table of contents",
];

fn title(doc: &Doc<'_>) -> Option<String> {
    let strip = |t: &str| {
        let mut t = clean_inline(t).to_owned();
        for suffix in [
            " - Product Requirements Document",
            " – Product Requirements Document",
            " Product Requirements Document",
            " - PRD",
            " PRD",
        ] {
            if let Some(s) = t.strip_suffix(suffix) {
                t = s.trim().to_owned();
            }
        }
        for prefix in ["PRD:", "PRD -", "Product Requirements Document:"] {
            if let Some(s) = t.strip_prefix(prefix) {
                t = s.trim().to_owned();
            }
        }
        t
    };
    // Only the document's first heading can be its title; later ones name sections.
    if let Some(line) = doc
        .lines
        .iter()
        .find(|l| matches!(l.kind, Kind::Heading(_)))
    {
        if let Kind::Heading(level) = line.kind {
            let t = strip(line.text);
            if level <= 2
                && !t.is_empty()
                && !t.contains(['[', '<'])
                && !GENERIC_HEADINGS.contains(&t.to_ascii_lowercase().as_str())
            {
                return Some(t);
            }
        }
    }
    // A short first line that is not a sentence is the title of a plain-text PRD.
    let first = doc
        .lines
        .iter()
        .find(|l| !matches!(l.kind, Kind::Blank | Kind::Code))?;
    if first.kind == Kind::Text
        && first.text.len() <= 80
        && !first.text.ends_with(['.', ':', '?', '!'])
    {
        let t = strip(first.text);
        if !t.is_empty() {
            return Some(t);
        }
    }
    None
}

fn summary(doc: &Doc<'_>, requirements: &[RequirementDraft]) -> String {
    const SUMMARY_HEADINGS: &[&str] = &[
        "summary",
        "overview",
        "executive summary",
        "introduction",
        "purpose",
        "vision",
        "problem statement",
        "background",
    ];
    let mut candidate = None;
    for (i, line) in doc.lines.iter().enumerate() {
        if line.kind != Kind::Text || !is_paragraph_start(doc, i) {
            continue;
        }
        let under_summary = line.path.last().is_some_and(|h| {
            let h = h.to_ascii_lowercase();
            SUMMARY_HEADINGS.iter().any(|s| h.contains(s))
        });
        let paragraph = doc.paragraph(i);
        if looks_templated(&paragraph) && paragraph.split_whitespace().count() < 12 {
            continue;
        }
        let words = paragraph.split_whitespace().count();
        if under_summary && words >= 5 {
            candidate = Some(paragraph);
            break;
        }
        if candidate.is_none() && words >= 6 && doc.lines[i].path.len() <= 3 {
            candidate = Some(paragraph);
        }
    }
    let mut text = candidate.map(|p| plain(&p)).unwrap_or_default();
    text = first_sentences(&text, 4, 600);
    if text.ends_with(':') && !requirements.is_empty() {
        let listed: Vec<String> = requirements
            .iter()
            .take(5)
            .map(|r| r.text.trim_end_matches('.').to_owned())
            .collect();
        text = format!("{} {}.", text, listed.join("; "));
    }
    if text.trim().is_empty() {
        text = match requirements.len() {
            0 => "The PRD does not yet describe the product: it states no summary and no requirements.".to_owned(),
            n => format!(
                "The PRD gives no summary; it states {n} requirement(s), starting with: {}",
                requirements[0].text
            ),
        };
    }
    text
}

fn is_paragraph_start(doc: &Doc<'_>, i: usize) -> bool {
    i == 0 || doc.lines[i - 1].kind != Kind::Text
}

fn first_sentences(text: &str, max_sentences: usize, max_chars: usize) -> String {
    let mut end = text.len();
    let mut count = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && text[i + c.len_utf8()..].starts_with(' ') {
            count += 1;
            if count == max_sentences {
                end = i + 1;
                break;
            }
        }
    }
    let mut cut = text[..end].to_owned();
    if cut.len() > max_chars {
        let mut boundary = max_chars;
        while !cut.is_char_boundary(boundary) {
            boundary -= 1;
        }
        cut.truncate(boundary);
        cut.push('…');
    }
    cut.trim().to_owned()
}

// ---------------------------------------------------------------- actors

fn actors(doc: &Doc<'_>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let push = |name: &str, found: &mut Vec<String>| {
        if looks_templated(name) {
            return;
        }
        let name = plain(name);
        let name = name
            .trim()
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_owned();
        if name.is_empty() || name.split_whitespace().count() > 5 {
            return;
        }
        let name = sentence_case(&name);
        if !found.iter().any(|f| f.eq_ignore_ascii_case(&name)) {
            found.push(name);
        }
    };
    for line in &doc.lines {
        if matches!(line.kind, Kind::Code | Kind::Blank) {
            continue;
        }
        let text = plain(line.text);
        let lower = text.to_ascii_lowercase();
        for marker in ["as a ", "as an "] {
            let Some(pos) = lower.find(marker) else {
                continue;
            };
            if pos > 0 && !lower[..pos].trim_end().ends_with(['*', ':', '|', '"', '-']) && pos > 3 {
                continue;
            }
            let rest = &text[pos + marker.len()..];
            let end = rest
                .find([',', '|', '.', ';'])
                .or_else(|| rest.to_ascii_lowercase().find(" i "))
                .or_else(|| rest.to_ascii_lowercase().find(" i want"))
                .unwrap_or(rest.len());
            push(&rest[..end], &mut found);
        }
        if line.is_item() {
            let context = line
                .path
                .last()
                .map(|h| h.to_ascii_lowercase())
                .unwrap_or_default();
            let role_section = [
                "persona",
                "actor",
                "roles",
                "target users",
                "target audience",
                "stakeholder",
                "user types",
                "users",
            ]
            .iter()
            .any(|k| context.contains(k));
            if role_section && !context.contains("stor") && !context.contains("experience") {
                let name = text
                    .split([':', '—', '–', '('])
                    .next()
                    .unwrap_or("")
                    .split(" - ")
                    .next()
                    .unwrap_or("");
                push(name, &mut found);
            }
        }
    }
    found.truncate(12);
    found
}

// ---------------------------------------------------------------- requirements

struct Candidate {
    id: Option<String>,
    text: String,
    priority: Priority,
    acceptance: Vec<String>,
    hint: String,
}

fn is_gwt(text: &str) -> bool {
    let l = plain(text).to_ascii_lowercase();
    ["given ", "when ", "then ", "and "]
        .iter()
        .any(|k| l.starts_with(k))
}

fn acceptance_line(text: &str) -> Option<String> {
    let p = plain(text);
    let l = p.to_ascii_lowercase();
    for label in ["acceptance criteria:", "acceptance:", "ac:"] {
        if l.starts_with(label) {
            let rest = p[label.len()..].trim();
            if !rest.is_empty() {
                return Some(rest.to_owned());
            }
        }
    }
    None
}

fn hint_of(line: &Line<'_>, text: &str) -> String {
    // The item's text is a verbatim slice of the line; prefer it over the
    // raw line so hints carry no list markers.
    if !text.is_empty() && line.raw.contains(text) {
        text.trim().to_owned()
    } else {
        line.raw.trim().to_owned()
    }
}

/// Requirements, whether ids came from the PRD, placeholder count, non-goals.
fn requirements(doc: &Doc<'_>) -> (Vec<RequirementDraft>, bool, usize, Vec<String>) {
    let mut placeholders = 0;
    let mut out_of_scope = Vec::new();
    let mut candidates = with_ids(doc, &mut placeholders);
    let ids_from_prd = !candidates.is_empty();
    if candidates.is_empty() {
        candidates = checklists_and_stories(doc, &mut placeholders, &mut out_of_scope);
    }
    if candidates.is_empty() {
        candidates = feature_bullets(doc, &mut placeholders, &mut out_of_scope);
    }
    let mut seen_text = HashSet::new();
    let mut seen_id = HashSet::new();
    let mut result = Vec::new();
    let mut n = 0;
    for c in candidates {
        let key = plain(&c.text).to_ascii_lowercase();
        if !seen_text.insert(key) {
            continue;
        }
        let id = match c.id {
            Some(id) if seen_id.insert(id.clone()) => id,
            Some(_) => continue,
            None => loop {
                n += 1;
                let id = format!("REQ-{n:03}");
                if seen_id.insert(id.clone()) {
                    break id;
                }
            },
        };
        let mut acceptance = Vec::new();
        for a in c.acceptance {
            let a = plain(&a);
            if !a.is_empty() && !acceptance.contains(&a) {
                acceptance.push(a);
            }
        }
        result.push(RequirementDraft {
            id,
            text: sentence_case(&c.text),
            priority: c.priority,
            acceptance_criteria: acceptance,
            source_hint: c.hint,
        });
    }
    (result, ids_from_prd, placeholders, out_of_scope)
}

fn with_ids(doc: &Doc<'_>, placeholders: &mut usize) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    // Where the current requirement's block ends: a heading at or above this level.
    let mut block_level: Option<u8> = None;
    let mut block_indent: Option<usize> = None;
    let mut gwt: Vec<String> = Vec::new();
    let flush = |gwt: &mut Vec<String>, out: &mut Vec<Candidate>| {
        if !gwt.is_empty() {
            if let Some(last) = out.last_mut() {
                last.acceptance.push(gwt.join(", "));
            }
            gwt.clear();
        }
    };
    for (index, line) in doc.lines.iter().enumerate() {
        let candidate_text = match line.kind {
            Kind::Heading(_) | Kind::Bullet | Kind::Numbered | Kind::Text | Kind::Check => {
                line.text
            }
            Kind::TableRow => line.text.trim_start_matches('|').trim(),
            _ => {
                if line.kind == Kind::Blank {
                    flush(&mut gwt, &mut out);
                }
                continue;
            }
        };
        if let Some((id, rest)) = leading_id(candidate_text) {
            flush(&mut gwt, &mut out);
            let (text, hint, priority_cell) = if line.kind == Kind::TableRow {
                let cells = table_cells(line.text);
                let (text, hint) = table_requirement(&cells, table_header(doc, index).as_deref());
                let priority = cells
                    .iter()
                    .skip(1)
                    .find_map(|c| moscow(c).and_then(Result::ok));
                (text, hint, priority)
            } else {
                (rest.to_owned(), hint_of(line, line.text.trim()), None)
            };
            if text.is_empty() || is_placeholder(&text) {
                *placeholders += 1;
                continue;
            }
            let priority = priority_cell
                .or_else(|| word_priority(&text))
                .or_else(|| path_priority(line, doc).and_then(Result::ok))
                .unwrap_or_default();
            block_level = match line.kind {
                Kind::Heading(level) => Some(level),
                _ => None,
            };
            block_indent = line.is_item().then_some(line.indent);
            out.push(Candidate {
                id: Some(id),
                text,
                priority,
                acceptance: Vec::new(),
                hint,
            });
            continue;
        }
        if out.is_empty() {
            continue;
        }
        if let Kind::Heading(level) = line.kind {
            let closes = match block_level {
                Some(block) => level <= block,
                None => level < 7,
            };
            if closes && !line.text.to_ascii_lowercase().contains("acceptance") {
                flush(&mut gwt, &mut out);
                block_level = Some(0);
                block_indent = None;
            }
            continue;
        }
        if block_level == Some(0) {
            continue;
        }
        if is_gwt(line.text) {
            gwt.push(plain(line.text));
            continue;
        }
        flush(&mut gwt, &mut out);
        let Some(last) = out.last_mut() else { continue };
        if let Some(a) = acceptance_line(line.text) {
            last.acceptance.push(a);
        } else if line.kind == Kind::Check {
            last.acceptance.push(line.text.to_owned());
        } else if line.is_item() {
            let nested = block_indent.is_some_and(|i| line.indent > i);
            let context = line.context(doc);
            if nested || context.contains("acceptance") || context.contains("criteria") {
                last.acceptance.push(line.text.to_owned());
            } else if let Some(p) = priority_label(line.text) {
                last.priority = p;
            }
        } else if let Some(p) = priority_label(line.text) {
            last.priority = p;
        }
    }
    flush(&mut gwt, &mut out);
    out
}

fn table_cells(row: &str) -> Vec<&str> {
    row.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

/// The header row of the table `index` is in, when `index` is not the header itself.
fn table_header(doc: &Doc<'_>, index: usize) -> Option<Vec<String>> {
    let mut first = index;
    while first > 0
        && matches!(doc.lines[first - 1].kind, Kind::TableRow | Kind::Code)
        && doc.lines[first - 1].text.starts_with('|')
    {
        first -= 1;
    }
    (first < index).then(|| {
        table_cells(doc.lines[first].text)
            .into_iter()
            .map(|c| plain(c).to_ascii_lowercase())
            .collect()
    })
}

/// A requirement's text and verbatim hint from a table row: a story
/// ("As a … I want … so that …") when the columns say so, else the
/// requirement/description column, else the longest cell.
fn table_requirement(cells: &[&str], header: Option<&[String]>) -> (String, String) {
    let column = |names: &[&str]| {
        header.and_then(|h| {
            h.iter()
                .position(|c| names.iter().any(|n| c.contains(n)))
                .and_then(|i| cells.get(i))
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
        })
    };
    if let (Some(role), Some(want)) = (column(&["as a"]), column(&["i want", "want"])) {
        let mut text = format!(
            "{} {role}, I want {}",
            article(role),
            want.trim_start_matches("I want").trim()
        );
        if let Some(goal) = column(&["so that", "benefit"]) {
            text.push_str(&format!(
                ", so that {}",
                goal.trim_start_matches("so that").trim()
            ));
        }
        return (text, want.to_owned());
    }
    if let Some(cell) = column(&[
        "requirement",
        "description",
        "story",
        "text",
        "title",
        "feature",
    ]) {
        return (cell.to_owned(), cell.to_owned());
    }
    let longest = cells
        .iter()
        .skip(1)
        .max_by_key(|c| c.len())
        .copied()
        .unwrap_or("");
    (longest.to_owned(), longest.to_owned())
}

/// `Priority: Should` style lines.
fn priority_label(text: &str) -> Option<Priority> {
    let p = plain(text).to_ascii_lowercase();
    let rest = p
        .strip_prefix("priority")?
        .trim_start_matches([':', ' ', '-']);
    moscow(rest)
        .and_then(Result::ok)
        .or_else(|| word_priority(rest))
}

fn checklists_and_stories(
    doc: &Doc<'_>,
    placeholders: &mut usize,
    out_of_scope: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    // A story block: heading "As a X" or a line "As a X, I want ...".
    let mut story: Option<(usize, String, Option<u8>, usize)> = None; // (candidate index, actor, heading level, indent)
    for (index, line) in doc.lines.iter().enumerate() {
        match line.kind {
            Kind::Heading(level) => {
                let text = plain(line.text);
                let lower = text.to_ascii_lowercase();
                if let Some(actor) = lower
                    .strip_prefix("as a ")
                    .or_else(|| lower.strip_prefix("as an "))
                {
                    let start = text.len() - actor.len();
                    story = Some((usize::MAX, text[start..].to_owned(), Some(level), 0));
                } else if story
                    .as_ref()
                    .is_some_and(|(_, _, l, _)| l.is_some_and(|l| level <= l))
                    || story.as_ref().is_some_and(|(_, _, l, _)| l.is_none())
                {
                    story = None;
                }
            }
            Kind::Bullet | Kind::Text | Kind::Check | Kind::Numbered | Kind::TableRow => {
                let text = plain(line.text);
                let lower = text.to_ascii_lowercase();
                // "**Story**: I want ..." inside an "As a X" heading block.
                if let Some((index, actor, Some(_), _)) = story.as_mut() {
                    if let Some(rest) = strip_label(line.text, &["story", "user story"]) {
                        let hint = hint_of(line, rest);
                        out.push(Candidate {
                            id: None,
                            text: format!(
                                "{} {actor}, {}",
                                article(actor),
                                lower_first(&plain(rest))
                            ),
                            priority: path_priority(line, doc)
                                .and_then(Result::ok)
                                .unwrap_or_default(),
                            acceptance: Vec::new(),
                            hint,
                        });
                        *index = out.len() - 1;
                        continue;
                    }
                    if let Some(rest) =
                        strip_label(line.text, &["acceptance", "acceptance criteria"])
                    {
                        if let Some(c) = out.get_mut(*index) {
                            c.acceptance.push(rest.to_owned());
                        }
                        continue;
                    }
                }
                if line.kind == Kind::TableRow {
                    let cells = table_cells(line.text);
                    let header = table_header(doc, index);
                    let story_columns = header.as_ref().is_some_and(|h| {
                        h.iter().any(|c| c.contains("as a")) && h.iter().any(|c| c.contains("want"))
                    });
                    // A table's first row is its header, never a requirement.
                    let inline_story =
                        header.is_some() && lower.contains("as a") && lower.contains("want");
                    if story_columns || inline_story {
                        let (text, hint) = if story_columns {
                            table_requirement(&cells, header.as_deref())
                        } else {
                            let joined = cells.join(" ");
                            let longest =
                                cells.iter().max_by_key(|c| c.len()).copied().unwrap_or("");
                            (joined, longest.to_owned())
                        };
                        out.push(Candidate {
                            id: None,
                            text,
                            priority: cells
                                .iter()
                                .find_map(|c| moscow(c).and_then(Result::ok))
                                .unwrap_or_default(),
                            acceptance: Vec::new(),
                            hint,
                        });
                    }
                    continue;
                }
                if (lower.starts_with("as a ") || lower.starts_with("as an "))
                    && lower.contains(" want")
                {
                    out.push(Candidate {
                        id: None,
                        text: text.clone(),
                        priority: word_priority_story(&text)
                            .or_else(|| path_priority(line, doc).and_then(Result::ok))
                            .unwrap_or_default(),
                        acceptance: Vec::new(),
                        hint: hint_of(line, line.text),
                    });
                    story = Some((out.len() - 1, String::new(), None, line.indent));
                    continue;
                }
                if let Some((index, _, None, indent)) = story.as_ref() {
                    let inside = line.indent > *indent
                        || is_gwt(line.text)
                        || acceptance_line(line.text).is_some();
                    if inside {
                        if let Some(c) = out.get_mut(*index) {
                            if let Some(a) = acceptance_line(line.text) {
                                c.acceptance.push(a);
                            } else {
                                c.acceptance.push(line.text.to_owned());
                            }
                        }
                        continue;
                    }
                    story = None;
                }
                if line.kind == Kind::Check {
                    match path_priority(line, doc) {
                        Some(Err(())) => out_of_scope.push(plain(line.text)),
                        found => {
                            if is_placeholder(line.text) {
                                *placeholders += 1;
                                continue;
                            }
                            out.push(Candidate {
                                id: None,
                                text: line.text.to_owned(),
                                priority: found
                                    .and_then(Result::ok)
                                    .or_else(|| word_priority(line.text))
                                    .unwrap_or_default(),
                                acceptance: Vec::new(),
                                hint: hint_of(line, line.text),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// "As a" or "As an", by the actor's first sound (as far as letters tell).
fn article(actor: &str) -> &'static str {
    match actor.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "As an",
        _ => "As a",
    }
}

fn word_priority_story(text: &str) -> Option<Priority> {
    let l = text.to_ascii_lowercase();
    if any_word(&l, &["p0"]) {
        Some(Priority::Must)
    } else if any_word(&l, &["p1"]) {
        Some(Priority::Should)
    } else if any_word(&l, &["p2", "p3"]) {
        Some(Priority::Could)
    } else {
        None
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(|n| n.is_lowercase()) => {
            c.to_lowercase().collect::<String>() + chars.as_str()
        }
        Some(c) => c.to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The text after `**Label**:` (or `Label:`), verbatim.
fn strip_label<'a>(text: &'a str, labels: &[&str]) -> Option<&'a str> {
    let t = text.trim_start_matches(['*', '_']);
    let lower = t.to_ascii_lowercase();
    for label in labels {
        if lower.starts_with(label) {
            let rest = &t[label.len()..];
            let rest = rest.trim_start_matches(['*', '_']);
            if let Some(rest) = rest.strip_prefix(':') {
                let rest = rest.trim_start_matches(['*', '_']).trim();
                if !rest.is_empty() {
                    return Some(rest);
                }
            }
        }
    }
    None
}

const FEATURE_WORDS: &[&str] = &[
    "feature",
    "requirement",
    "scope",
    "capabilit",
    "functional",
    "must have",
    "should have",
    "could have",
    "mvp",
    "user stor",
    "what it does",
    "functionality",
];
const NOT_FEATURE_WORDS: &[&str] = &[
    "non-functional",
    "nonfunctional",
    "technical",
    "architecture",
    "performance",
    "security",
    "risk",
    "appendix",
    "reference",
    "roadmap",
    "metric",
    "goal",
    "file structure",
    "dependenc",
    "stack",
    "non functional",
    "open question",
    "assumption",
    "timeline",
    "milestone",
];

fn feature_bullets(
    doc: &Doc<'_>,
    placeholders: &mut usize,
    out_of_scope: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    // Index of the candidate each feature item became, for nested criteria.
    let mut made: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, line) in doc.lines.iter().enumerate() {
        if !line.is_item() {
            continue;
        }
        if let Some(parent) = line.parent {
            if let Some(&c) = made.get(&parent) {
                out[c].acceptance.push(line.text.to_owned());
                continue;
            }
        }
        let context = line.context(doc);
        let path = line.path.join(" / ").to_ascii_lowercase();
        let is_feature = FEATURE_WORDS.iter().any(|w| context.contains(w));
        let excluded = NOT_FEATURE_WORDS.iter().any(|w| path.contains(w));
        if !is_feature || excluded {
            continue;
        }
        match path_priority(line, doc) {
            Some(Err(())) => {
                out_of_scope.push(plain(line.text));
                continue;
            }
            found => {
                if is_placeholder(line.text) {
                    *placeholders += 1;
                    continue;
                }
                out.push(Candidate {
                    id: None,
                    text: line.text.to_owned(),
                    priority: found
                        .and_then(Result::ok)
                        .or_else(|| word_priority(line.text))
                        .unwrap_or_default(),
                    acceptance: Vec::new(),
                    hint: hint_of(line, line.text),
                });
                made.insert(i, out.len() - 1);
            }
        }
    }
    out
}

// ---------------------------------------------------------------- workflows

fn workflows(doc: &Doc<'_>) -> Vec<WorkflowDraft> {
    const FLOW_WORDS: &[&str] = &[
        "flow",
        "journey",
        "process",
        "steps",
        "sequence",
        "user experience",
        "how it works",
        "scenario",
        "procedure",
        "lifecycle",
        "life cycle",
        "column",
        "status",
        "stages",
    ];
    const NOT_FLOW_WORDS: &[&str] = &["roadmap", "milestone", "phase", "feature", "mvp"];
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(Option<usize>, Rc<Vec<String>>, usize)> = None;
    use std::rc::Rc;
    for line in &doc.lines {
        if line.kind != Kind::Numbered {
            if matches!(line.kind, Kind::Heading(_) | Kind::Text) {
                current = None;
            }
            continue;
        }
        let key = (line.parent, Rc::clone(&line.path), line.indent);
        let same = current
            .as_ref()
            .is_some_and(|(p, path, ind)| *p == key.0 && Rc::ptr_eq(path, &key.1) && *ind == key.2);
        if same {
            if let Some(last) = groups.last_mut() {
                last.1.push(plain(line.text));
            }
            continue;
        }
        let label = match line.parent {
            Some(p) => clean_inline(doc.lines[p].text).to_owned(),
            None => line.path.last().cloned().unwrap_or_default(),
        };
        let context = line.context(doc);
        let wanted = FLOW_WORDS.iter().any(|w| context.contains(w))
            && !NOT_FLOW_WORDS.iter().any(|w| {
                label.to_ascii_lowercase().contains(w)
                    || line
                        .path
                        .last()
                        .is_some_and(|h| h.to_ascii_lowercase().contains(w))
            });
        current = Some(key);
        if wanted {
            groups.push((plain(&label), vec![plain(line.text)]));
        } else {
            groups.push((String::new(), Vec::new()));
        }
    }
    groups
        .into_iter()
        .filter(|(name, steps)| !name.is_empty() && steps.len() >= 2)
        .enumerate()
        .map(|(i, (name, steps))| WorkflowDraft {
            id: format!("WF-{}", i + 1),
            name: sentence_case(name.trim_end_matches(':')),
            steps,
        })
        .collect()
}

// ---------------------------------------------------------------- entities

const ENTITY_STOP: &[&str] = &[
    "user",
    "users",
    "system",
    "app",
    "application",
    "data",
    "page",
    "screen",
    "button",
    "server",
    "client",
    "browser",
    "cli",
    "ui",
    "api",
    "command",
    "commands",
    "change",
    "changes",
    "update",
    "updates",
    "operation",
    "operations",
    "time",
    "way",
    "support",
    "feature",
    "features",
    "mode",
    "option",
    "options",
    "error",
    "errors",
    "message",
    "messages",
    "file",
    "files",
    "view",
    "information",
    "status",
    "new",
    "all",
    "each",
    "existing",
    "real",
    "design",
    "flag",
    "port",
    "progress",
    "context",
    "individual",
    "appear",
    "appears",
    "show",
    "shows",
    "drag",
    "drop",
    "works",
    "start",
    "starts",
    "this",
    "that",
    "with",
    "from",
    "into",
    "they",
    "them",
    "their",
    "there",
    "when",
    "then",
    "will",
    "have",
    "been",
    "more",
    "less",
    "only",
    "also",
    "simple",
    "basic",
    "keep",
    "make",
    "mark",
    "delete",
    "add",
    "edit",
    "create",
    "remove",
    "list",
    "lists",
    "done",
    "complete",
    "completed",
    "successful",
    "success",
    "output",
    "prompt",
    "git",
    "check",
    "code",
    "hard",
    "coded",
    "shows",
    "using",
    "used",
    "via",
    "between",
    "after",
    "before",
    "task-master",
    "tm",
    "ctrl",
    "desktop",
    "tablet",
    "dark",
    "theme",
    "keyboard",
    "shortcuts",
    "common",
    "quick",
    "navigation",
    "search",
    "indicators",
    "blocking",
    "visual",
    "friendly",
    "handling",
    "specification",
    "custom",
    "instantly",
    "gracefully",
    "unchanged",
    "remains",
    "functionality",
    "opens",
    "open",
    "syncs",
    "sync",
    "moves",
    "cards",
    "card",
    "parent",
];

fn entities(doc: &Doc<'_>, requirements: &[RequirementDraft]) -> (Vec<EntityDraft>, bool) {
    const MODEL_WORDS: &[&str] = &[
        "data model",
        "entities",
        "domain model",
        "schema",
        "data structure",
        "database design",
        "objects",
    ];
    let mut found: Vec<EntityDraft> = Vec::new();
    for line in &doc.lines {
        let path = line.path.join(" / ").to_ascii_lowercase();
        if !MODEL_WORDS.iter().any(|w| path.contains(w)) {
            continue;
        }
        match line.kind {
            Kind::Heading(level) if level >= 3 => {
                let name = clean_inline(line.text);
                let lower = name.to_ascii_lowercase();
                if !MODEL_WORDS.iter().any(|w| lower.contains(w)) && !name.is_empty() {
                    found.push(EntityDraft {
                        name: sentence_case(name),
                        fields: Vec::new(),
                        notes: String::new(),
                    });
                }
            }
            Kind::Bullet | Kind::Numbered => {
                let heading_entity = found.last().is_some_and(|e| {
                    line.path
                        .last()
                        .is_some_and(|h| plain(h).eq_ignore_ascii_case(&e.name))
                });
                let text = plain(line.text);
                if heading_entity && line.parent.is_none_or(|p| !doc.lines[p].is_item()) {
                    if let Some(last) = found.last_mut() {
                        last.fields.push(field_name(&text));
                    }
                    continue;
                }
                if let Some(parent) = line.parent.filter(|p| doc.lines[*p].is_item()) {
                    let parent_name = entity_name(&plain(doc.lines[parent].text));
                    if let Some(e) = found.iter_mut().find(|e| e.name == parent_name) {
                        e.fields.push(field_name(&text));
                    }
                    continue;
                }
                let (name, rest) = match text.find([':', '(', '—', '–']) {
                    Some(pos) => (&text[..pos], text[pos + 1..].trim_end_matches(')')),
                    None => (text.as_str(), ""),
                };
                let name = entity_name(name);
                if name.is_empty() || name.split_whitespace().count() > 4 {
                    continue;
                }
                let fields = rest
                    .split([',', ';'])
                    .map(|f| field_name(f.trim()))
                    .filter(|f| !f.is_empty() && f.split_whitespace().count() <= 4)
                    .collect();
                found.push(EntityDraft {
                    name,
                    fields,
                    notes: String::new(),
                });
            }
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    found.retain(|e| !e.name.is_empty() && seen.insert(e.name.to_ascii_lowercase()));
    if !found.is_empty() {
        return (found, false);
    }
    // No data model section: the nouns the requirements keep returning to.
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut order = 0;
    for r in requirements {
        let mut in_this: HashSet<String> = HashSet::new();
        for word in r.text.split(|c: char| !(c.is_alphanumeric() || c == '-')) {
            let w = word.to_ascii_lowercase();
            if w.len() < 3
                || ENTITY_STOP.contains(&w.as_str())
                || w.chars().any(|c| c.is_ascii_digit())
            {
                continue;
            }
            let singular = singular(&w);
            if ENTITY_STOP.contains(&singular.as_str())
                || !w.ends_with('s')
                    && !counts.contains_key(&singular)
                    && !is_plural_elsewhere(&singular, requirements)
            {
                continue;
            }
            if in_this.insert(singular.clone()) {
                *counts.entry(singular.clone()).or_default() += 1;
                first_seen.entry(singular).or_insert_with(|| {
                    order += 1;
                    order
                });
            }
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n >= 2).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(first_seen[&a.0].cmp(&first_seen[&b.0])));
    let inferred: Vec<EntityDraft> = ranked
        .into_iter()
        .take(4)
        .map(|(name, n)| EntityDraft {
            name: sentence_case(&name),
            fields: vec!["id".to_owned()],
            notes: format!("Inferred: named in {n} requirements; fields to be confirmed."),
        })
        .collect();
    let any = !inferred.is_empty();
    (inferred, any)
}

fn is_plural_elsewhere(singular: &str, requirements: &[RequirementDraft]) -> bool {
    let plural = format!("{singular}s");
    requirements
        .iter()
        .any(|r| has_word(&r.text.to_ascii_lowercase(), &plural))
}

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if word.ends_with("ss") || word.ends_with("us") {
        return word.to_owned();
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

fn entity_name(text: &str) -> String {
    let t = text.trim().trim_matches(|c: char| !c.is_alphanumeric());
    sentence_case(t)
}

fn field_name(text: &str) -> String {
    let t = text.split([':', '(', '—', '–']).next().unwrap_or("").trim();
    t.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
        .to_owned()
}

// ---------------------------------------------------------------- integrations

struct Service {
    name: &'static str,
    keywords: &'static [&'static str],
    purpose: &'static str,
    direction: Direction,
    stub: &'static str,
}

const SERVICES: &[Service] = &[
    Service {
        name: "Stripe",
        keywords: &["stripe"],
        purpose: "Card payments and payouts",
        direction: Direction::Both,
        stub: "POST /v1/payment_intents; webhook payment_intent.succeeded / payment_intent.payment_failed",
    },
    Service {
        name: "PayPal",
        keywords: &["paypal"],
        purpose: "PayPal checkout",
        direction: Direction::Both,
        stub: "Create order, capture order; webhook PAYMENT.CAPTURE.COMPLETED",
    },
    Service {
        name: "Payment provider",
        keywords: &[
            "payment",
            "payments",
            "checkout",
            "billing",
            "credit card",
            "subscription",
            "subscriptions",
        ],
        purpose: "Take payments",
        direction: Direction::Both,
        stub: "Create payment; receive payment status webhooks",
    },
    Service {
        name: "SendGrid",
        keywords: &["sendgrid"],
        purpose: "Transactional email",
        direction: Direction::Outbound,
        stub: "POST /v3/mail/send (to, template id, variables)",
    },
    Service {
        name: "Mailgun",
        keywords: &["mailgun"],
        purpose: "Transactional email",
        direction: Direction::Outbound,
        stub: "POST /v3/{domain}/messages",
    },
    Service {
        name: "Postmark",
        keywords: &["postmark"],
        purpose: "Transactional email",
        direction: Direction::Outbound,
        stub: "POST /email (to, template, model)",
    },
    Service {
        name: "Email delivery service",
        keywords: &["email", "e-mail", "emails"],
        purpose: "Send notification and account emails",
        direction: Direction::Outbound,
        stub: "send(to, subject, template, variables)",
    },
    Service {
        name: "Twilio",
        keywords: &["twilio", "sms"],
        purpose: "SMS messages",
        direction: Direction::Outbound,
        stub: "POST /Messages (to, body)",
    },
    Service {
        name: "Slack",
        keywords: &["slack"],
        purpose: "Chat notifications",
        direction: Direction::Outbound,
        stub: "chat.postMessage (channel, text)",
    },
    Service {
        name: "Discord",
        keywords: &["discord"],
        purpose: "Chat notifications",
        direction: Direction::Outbound,
        stub: "Webhook POST (content)",
    },
    Service {
        name: "Microsoft Teams",
        keywords: &["microsoft teams", "ms teams"],
        purpose: "Chat notifications",
        direction: Direction::Outbound,
        stub: "Incoming webhook POST (card)",
    },
    Service {
        name: "Google Calendar",
        keywords: &["google calendar"],
        purpose: "Calendar sync",
        direction: Direction::Both,
        stub: "events.insert / events.watch push notifications",
    },
    Service {
        name: "Microsoft Outlook calendar",
        keywords: &["outlook"],
        purpose: "Calendar sync",
        direction: Direction::Both,
        stub: "Graph /me/events; change notifications",
    },
    Service {
        name: "Calendar service",
        keywords: &["calendar", "calendars", "ical"],
        purpose: "Calendar invites and sync",
        direction: Direction::Both,
        stub: "Create event; receive change notifications",
    },
    Service {
        name: "Amazon S3",
        keywords: &["s3"],
        purpose: "File storage",
        direction: Direction::Outbound,
        stub: "PutObject / GetObject with presigned URLs",
    },
    Service {
        name: "Google Drive",
        keywords: &["google drive"],
        purpose: "File import and storage",
        direction: Direction::Both,
        stub: "files.list / files.get",
    },
    Service {
        name: "Dropbox",
        keywords: &["dropbox"],
        purpose: "File import and storage",
        direction: Direction::Both,
        stub: "files/list_folder, files/download",
    },
    Service {
        name: "OpenAI",
        keywords: &["openai", "chatgpt", "gpt-4", "gpt-4o"],
        purpose: "LLM completions",
        direction: Direction::Outbound,
        stub: "POST /v1/chat/completions",
    },
    Service {
        name: "Anthropic Claude",
        keywords: &["anthropic", "claude", "claude-code"],
        purpose: "LLM completions and coding agent",
        direction: Direction::Outbound,
        stub: "POST /v1/messages (or the claude CLI)",
    },
    Service {
        name: "Google Gemini",
        keywords: &["gemini"],
        purpose: "LLM completions",
        direction: Direction::Outbound,
        stub: "generateContent",
    },
    Service {
        name: "Perplexity",
        keywords: &["perplexity"],
        purpose: "LLM research answers",
        direction: Direction::Outbound,
        stub: "POST /chat/completions",
    },
    Service {
        name: "LLM provider",
        keywords: &["llm", "large language model"],
        purpose: "LLM completions",
        direction: Direction::Outbound,
        stub: "Prompt in, completion out",
    },
    Service {
        name: "GitHub",
        keywords: &["github"],
        purpose: "Source hosting, issues and webhooks",
        direction: Direction::Both,
        stub: "REST /repos/{owner}/{repo}/...; webhooks",
    },
    Service {
        name: "GitLab",
        keywords: &["gitlab"],
        purpose: "Source hosting and webhooks",
        direction: Direction::Both,
        stub: "REST /projects/{id}/...; webhooks",
    },
    Service {
        name: "Bitbucket",
        keywords: &["bitbucket"],
        purpose: "Source hosting",
        direction: Direction::Both,
        stub: "REST /repositories/{workspace}/{repo}",
    },
    Service {
        name: "Identity provider (OAuth/SSO)",
        keywords: &[
            "oauth",
            "sso",
            "single sign-on",
            "auth0",
            "okta",
            "google sign-in",
            "sign in with google",
        ],
        purpose: "Sign-in",
        direction: Direction::Inbound,
        stub: "OIDC authorization code flow",
    },
    Service {
        name: "Google Maps",
        keywords: &["google maps", "mapbox", "geocoding"],
        purpose: "Maps and geocoding",
        direction: Direction::Outbound,
        stub: "Geocode address; render map tiles",
    },
    Service {
        name: "Sentry",
        keywords: &["sentry"],
        purpose: "Error tracking",
        direction: Direction::Outbound,
        stub: "SDK event capture",
    },
];

fn integrations(doc: &Doc<'_>, requirements: &[RequirementDraft]) -> Vec<IntegrationDraft> {
    let text: String = doc
        .lines
        .iter()
        .filter(|l| l.kind != Kind::Code)
        .map(|l| l.text.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    let must_text: String = requirements
        .iter()
        .filter(|r| r.priority == Priority::Must)
        .map(|r| r.text.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    let all_text: String = requirements
        .iter()
        .map(|r| r.text.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out: Vec<IntegrationDraft> = Vec::new();
    let mut categories: HashSet<&str> = HashSet::new();
    for service in SERVICES {
        let hits: usize = service.keywords.iter().map(|k| count_words(&text, k)).sum();
        if hits == 0 || categories.contains(service.purpose) {
            continue;
        }
        // A generic entry only when no named service of its kind was found.
        categories.insert(service.purpose);
        let generic = service.name.ends_with("provider") || service.name.ends_with("service");
        if generic
            && out.iter().any(|o| {
                SERVICES
                    .iter()
                    .find(|s| s.name == o.name)
                    .is_some_and(|s| same_kind(s.purpose, service.purpose))
            })
        {
            continue;
        }
        let in_must = service.keywords.iter().any(|k| has_word(&must_text, k));
        let in_any = service.keywords.iter().any(|k| has_word(&all_text, k));
        out.push(IntegrationDraft {
            name: service.name.to_owned(),
            purpose: service.purpose.to_owned(),
            direction: service.direction,
            criticality: if in_must {
                Criticality::High
            } else if in_any || hits >= 2 {
                Criticality::Medium
            } else {
                Criticality::Low
            },
            contract_stub: service.stub.to_owned(),
        });
    }
    out.truncate(8);
    out
}

fn same_kind(a: &str, b: &str) -> bool {
    let kind = |p: &str| {
        let p = p.to_ascii_lowercase();
        [
            "payment", "email", "calendar", "llm", "storage", "chat", "source",
        ]
        .into_iter()
        .find(|k| p.contains(k))
    };
    kind(a).is_some() && kind(a) == kind(b)
}

fn count_words(haystack: &str, needle: &str) -> usize {
    let mut count = 0;
    for line in haystack.lines() {
        if has_word(line, needle) {
            count += 1;
        }
    }
    count
}

// ---------------------------------------------------------------- NFRs and signals

fn nfrs(lower: &str, integrations: &[IntegrationDraft]) -> (Option<NfrsDraft>, Vec<String>) {
    let mut notes = Vec::new();
    let payments = integrations
        .iter()
        .any(|i| i.purpose.to_ascii_lowercase().contains("payment"))
        || any_word(
            lower,
            &["payment", "payments", "credit card", "invoice", "billing"],
        );
    let personal = any_word(
        lower,
        &[
            "health data",
            "health notes",
            "health records",
            "medical",
            "patient",
            "patients",
            "pii",
            "personal data",
            "gdpr",
            "hipaa",
            "date of birth",
            "phone number",
            "home address",
            "personal information",
        ],
    );
    let data_sensitivity = if payments {
        notes.push("payments are handled: data sensitivity financial_like".to_owned());
        DataSensitivity::FinancialLike
    } else if personal {
        notes.push("health or personal data is handled: data sensitivity pii".to_owned());
        DataSensitivity::Pii
    } else {
        DataSensitivity::None
    };
    let availability = if [
        "99.9",
        "99.95",
        "99.99",
        "high availability",
        "24/7",
        "zero downtime",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        notes.push("an uptime target of 99.9% or more: availability high".to_owned());
        Availability::High
    } else if any_word(
        lower,
        &[
            "localhost",
            "local development tool",
            "offline-first",
            "hackathon",
        ],
    ) {
        Availability::BestEffort
    } else {
        Availability::Standard
    };
    let latency = if any_word(
        lower,
        &[
            "real-time",
            "realtime",
            "low latency",
            "instant",
            "instantly",
        ],
    ) || lower.contains("<200ms")
        || lower.contains("< 200ms")
        || lower.contains("<500ms")
        || lower.contains("< 500 ms")
    {
        Latency::Low
    } else if any_word(lower, &["batch", "nightly", "overnight"]) {
        Latency::Relaxed
    } else {
        Latency::Standard
    };
    let scale = if any_word(
        lower,
        &["millions", "million users", "100,000 users", "100k users"],
    ) || lower.contains("million users")
    {
        Scale::Large
    } else if any_word(
        lower,
        &[
            "thousands of users",
            "10,000 users",
            "10k users",
            "1,000 users",
            "concurrent users",
        ],
    ) {
        Scale::Medium
    } else {
        Scale::Small
    };
    let auditability = if any_word(
        lower,
        &[
            "audit",
            "audit log",
            "audit trail",
            "compliance",
            "hipaa",
            "sox",
            "pci",
        ],
    ) || data_sensitivity == DataSensitivity::FinancialLike
    {
        Auditability::Strong
    } else {
        Auditability::Basic
    };
    let nfrs = NfrsDraft {
        scale,
        availability,
        latency,
        data_sensitivity,
        auditability,
    };
    (Some(nfrs), notes)
}

fn signals(lower: &str) -> Signals {
    let web_ui = any_word(
        lower,
        &[
            "web",
            "browser",
            "ui",
            "page",
            "pages",
            "dashboard",
            "frontend",
            "front-end",
            "website",
            "web app",
            "screen",
            "kanban",
            "mobile",
        ],
    );
    let cli = any_word(lower, &["cli", "command-line", "command line", "terminal"]);
    // An "application" for people that is not a command-line tool has a user
    // interface even when the PRD never says "web" or "page".
    let web_ui = web_ui || (!cli && any_word(lower, &["app", "application"]));
    Signals {
        background_work: any_word(
            lower,
            &[
                "email",
                "emails",
                "notification",
                "notifications",
                "reminder",
                "reminders",
                "background",
                "queue",
                "scheduled",
                "schedule",
                "cron",
                "webhook",
                "webhooks",
                "import",
                "export",
                "report generation",
                "batch",
                "async",
                "asynchronous",
            ],
        ),
        files: any_word(
            lower,
            &[
                "upload",
                "uploads",
                "attachment",
                "attachments",
                "image",
                "images",
                "photo",
                "photos",
                "document storage",
                "pdf",
            ],
        ),
        local_only: any_word(
            lower,
            &[
                "localhost",
                "127.0.0.1",
                "local development tool",
                "binds to localhost",
            ],
        ),
        cli: cli && (!web_ui || count_words(lower, "cli") >= 3),
        web_ui,
        auth: any_word(
            lower,
            &[
                "login",
                "log in",
                "sign in",
                "sign-in",
                "signup",
                "sign up",
                "account",
                "accounts",
                "authentication",
                "password",
            ],
        ),
        no_auth: lower.contains("no authentication"),
        database: any_word(
            lower,
            &[
                "database",
                "postgres",
                "postgresql",
                "mysql",
                "sqlite",
                "dynamodb",
                "sql",
                "persist",
                "persisted",
                "stored",
            ],
        ),
        local_file_store: any_word(
            lower,
            &["tasks.json", "json file", "file system", "local file"],
        ),
        realtime: any_word(
            lower,
            &["real-time", "realtime", "websocket", "live updates"],
        ),
    }
}

fn named_tech(lower: &str) -> NamedTech {
    let pick = |options: &[(&'static str, &[&str])]| {
        options
            .iter()
            .find(|(_, words)| any_word(lower, words))
            .map(|(name, _)| *name)
    };
    NamedTech {
        api: pick(&[
            ("express", &["express", "express.js", "expressjs"]),
            ("fastify", &["fastify"]),
            ("nestjs", &["nestjs", "nest.js"]),
        ]),
        web: pick(&[("nextjs", &["next.js", "nextjs"]), ("react", &["react"])]),
        db: pick(&[
            ("postgres", &["postgres", "postgresql"]),
            ("mysql", &["mysql"]),
            ("sqlite", &["sqlite"]),
            ("dynamodb", &["dynamodb"]),
        ]),
    }
}

// ---------------------------------------------------------------- questions

fn questions(doc: &Doc<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |q: String| {
        if !q.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&q)) && out.len() < 30 {
            out.push(q);
        }
    };
    for line in &doc.lines {
        if matches!(line.kind, Kind::Code | Kind::Blank | Kind::TableRow) {
            continue;
        }
        let text = plain(line.text);
        let lower = text.to_ascii_lowercase();
        let path = line.path.join(" / ").to_ascii_lowercase();
        let in_questions = [
            "open question",
            "questions",
            "unknowns",
            "unresolved",
            "to be decided",
        ]
        .iter()
        .any(|k| path.contains(k));
        if matches!(line.kind, Kind::Heading(_)) {
            continue;
        }
        if in_questions && !is_placeholder(&text) {
            push(text);
        } else if text.split_whitespace().count() < 3 {
            continue;
        } else if any_word(&lower, &["tbd", "tbc"])
            || lower.contains("to be determined")
            || lower.contains("to be decided")
            || lower.contains("to be confirmed")
        {
            push(format!("Open in the PRD: {text}"));
        } else if text.ends_with('?') && text.split_whitespace().count() >= 4 {
            push(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_for_people_has_a_user_interface_unless_it_is_a_cli() {
        assert!(signals("create a basic todo list application").web_ui);
        assert!(signals("a small app to track habits").web_ui);
        assert!(!signals("a cli application that prints reports").web_ui);
        assert!(!signals("a nightly batch job that exports invoices").web_ui);
    }

    #[test]
    fn finds_leading_ids() {
        assert_eq!(
            leading_id("FR-001: Book").map(|(i, r)| (i, r.to_owned())),
            Some(("FR-001".into(), "Book".into()))
        );
        assert_eq!(
            leading_id("**FR1.2** - Pay").map(|(i, _)| i),
            Some("FR1.2".into())
        );
        assert_eq!(
            leading_id("REQ-7) Cancel").map(|(i, _)| i),
            Some("REQ-7".into())
        );
        assert_eq!(leading_id("U10 Search").map(|(i, _)| i), Some("U10".into()));
        assert_eq!(leading_id("P0 launch"), None);
        assert_eq!(leading_id("HTTP2 support"), None);
        assert_eq!(leading_id("Users can"), None);
        assert_eq!(leading_id("FR-1a"), None);
    }

    #[test]
    fn whole_words_only() {
        assert!(has_word("we use stripe.", "stripe"));
        assert!(!has_word("striped shirts", "stripe"));
        assert!(has_word("claude-code runs", "claude"));
        assert!(!has_word("ux for émails", "mails"));
    }
}
