//! Requirements as the PRD states them: ids in any scheme, table rows with
//! every column kept, stories, feature headings with their behaviour lists,
//! checklists and MVP / phase lists, with priorities, acceptance criteria,
//! stated dependencies and done marks. Assumptions, constraints, risks,
//! non-goals, future ideas and context sections never become requirements.

use std::collections::HashSet;

use pass_contracts::pack::Priority;

use super::document::{Doc, Kind, Line};
use super::ids::{
    inline_priority, is_done_status, is_dropped_status, leading_id, modal_priority, priority_label,
};
use super::scope::{Role, line_roles};
use super::stories::{acceptance_label, is_gwt, story_text};
use super::text::{content_words, is_placeholder, sentence_case, strip_numbering};
use crate::sections::RequirementDraft;

/// One requirement with what the issue plan needs beyond the pack's fields.
#[derive(Debug, Clone)]
pub struct ReadRequirement {
    pub draft: RequirementDraft,
    /// The feature or section it belongs to (a heading, a table's section).
    pub group: String,
    /// 1 for the MVP or first phase, 2+ for later phases; `None` when unsaid.
    pub phase: Option<u32>,
    /// Requirement ids or feature names the PRD says it depends on.
    pub after: Vec<String>,
}

/// Everything the requirement reading found.
#[derive(Debug, Default)]
pub struct Reading {
    pub requirements: Vec<ReadRequirement>,
    pub ids_from_prd: bool,
    /// Items the PRD marks done or shipped: recorded, not planned.
    pub done: Vec<String>,
    pub assumptions: Vec<String>,
    pub constraints: Vec<String>,
    pub non_goals: Vec<String>,
    /// Unfilled template slots among the requirement candidates.
    pub placeholders: usize,
}

/// A requirement being read, before ids and de-duplication.
#[derive(Debug)]
struct Candidate {
    id: Option<String>,
    title: String,
    description: Option<String>,
    hint: String,
    priority: Option<Priority>,
    criteria: Vec<String>,
    done: bool,
    /// The PRD's status says the item was removed or dropped from the release.
    dropped: bool,
    group: String,
    phase: Option<u32>,
    after: Vec<String>,
}

impl Candidate {
    fn new(
        id: Option<String>,
        title: String,
        hint: String,
        line: &Line,
        title_text: Option<&str>,
    ) -> Self {
        let hint = if hint.trim().is_empty() {
            line.raw.clone()
        } else {
            hint
        };
        Self {
            id,
            title,
            description: None,
            hint,
            priority: None,
            criteria: Vec::new(),
            done: line.struck || matches!(line.kind, Kind::Check(true)),
            dropped: false,
            group: group_of(line, title_text),
            phase: phase_of_path(&line.path),
            after: Vec::new(),
        }
    }

    fn text(&self) -> String {
        let title = self.title.trim().trim_end_matches(':').trim();
        match &self.description {
            Some(d) if !d.is_empty() && !title.is_empty() && !d.starts_with(title) => {
                format!("{title}: {d}")
            }
            Some(d) if title.is_empty() => d.clone(),
            _ => title.to_owned(),
        }
    }
}

/// Reads every requirement of `doc`. `title` is the document's title.
pub fn read(doc: &Doc, title: Option<&str>) -> Reading {
    let roles: Vec<Role> = line_roles(doc, title);
    let mut reading = Reading::default();
    record_excluded(doc, &roles, &mut reading);

    let mut consumed = vec![false; doc.lines.len()];
    let mut candidates = with_ids(doc, &roles, &mut consumed, &mut reading.placeholders);
    reading.ids_from_prd = candidates.iter().filter(|c| c.id.is_some()).count() >= 2;
    if !reading.ids_from_prd {
        consumed = vec![false; doc.lines.len()];
        candidates = without_ids(doc, title, &roles, &mut consumed, &mut reading.placeholders);
    }
    finish(candidates, &mut reading);
    reading
}

fn record_excluded(doc: &Doc, roles: &[Role], reading: &mut Reading) {
    for (i, line) in doc.lines.iter().enumerate() {
        if !(line.is_item() || line.kind == Kind::TableRow || line.kind == Kind::Text) {
            continue;
        }
        if line.kind == Kind::Text && line.text.ends_with(':') {
            continue;
        }
        let text = clean_item(&line.text);
        if text.is_empty() || is_placeholder(&text) {
            continue;
        }
        let under_wont = parent_priority(doc, i) == Some(Err(()));
        let list = match roles[i] {
            Role::Assumptions => &mut reading.assumptions,
            Role::Constraints => &mut reading.constraints,
            Role::NonGoals => &mut reading.non_goals,
            _ if under_wont => &mut reading.non_goals,
            _ => continue,
        };
        if list.len() < 40 && !list.contains(&text) {
            list.push(text);
        }
    }
}

/// An item's words without a trailing colon.
fn clean_item(text: &str) -> String {
    text.trim().trim_end_matches(':').trim().to_owned()
}

// ---------------------------------------------------------------- ids

fn with_ids(
    doc: &Doc,
    roles: &[Role],
    consumed: &mut [bool],
    placeholders: &mut usize,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < doc.lines.len() {
        let line = &doc.lines[i];
        if consumed[i] || roles[i].excludes_requirements() || line.kind == Kind::Code {
            i += 1;
            continue;
        }
        if line.kind == Kind::TableRow {
            if roles[i] == Role::Technical && !names_work(line.header.as_deref()) {
                // A numbered table in a technical section (deviations,
                // decisions taken, settings) records design, not work.
                i += 1;
                continue;
            }
            if let Some(mut c) = table_row(line, true) {
                // A table under "P1 - Should Have" takes the heading's priority.
                c.priority = c.priority.or_else(|| path_priority(doc, i));
                push_candidate(&mut out, c, placeholders);
            }
            i += 1;
            continue;
        }
        let Some((id, rest)) =
            leading_id(&line.text).or_else(|| moscow_id(&line.text, path_priority(doc, i)))
        else {
            i += 1;
            continue;
        };
        // "D1 and D2 are the ones that can bite": ids named in a sentence.
        let refers = matches!(
            rest.split_whitespace().next(),
            Some("and" | "or" | "vs" | "vs." | "&" | "to" | "through")
        );
        if refers || parent_priority(doc, i) == Some(Err(())) || numbers_a_group(doc, i, &id) {
            i += 1;
            continue;
        }
        let mut rest = rest.to_owned();
        let mut hint = hint_after_id(&line.raw, &rest);
        let mut title_line = i;
        // An id alone on its line (or with only a priority): the text follows.
        if rest.is_empty()
            || priority_label(&rest).is_some() && rest.split_whitespace().count() <= 2
        {
            if let Some(next) = (i + 1..doc.lines.len().min(i + 3)).find(|j| {
                let l = &doc.lines[*j];
                !matches!(l.kind, Kind::Code | Kind::TableRow)
                    && leading_id(&l.text).is_none()
                    && !l.text.trim().is_empty()
            }) {
                let priority_word = rest.clone();
                rest = doc.lines[next].text.clone();
                hint = doc.lines[next].raw.clone();
                title_line = next;
                consumed[next] = true;
                if !priority_word.is_empty() {
                    rest = format!("{rest} ({priority_word})");
                }
            }
        }
        let mut c = Candidate::new(Some(id), rest, hint, line, None);
        c.priority = inline_priority(&c.title);
        if let Some(p) = c.priority {
            c.title = strip_priority_mark(&c.title, p);
        }
        consumed[i] = true;
        let end = attach_body(doc, roles, i.max(title_line), i, &mut c, consumed, true);
        if c.priority.is_none() {
            c.priority = path_priority(doc, i);
        }
        push_candidate(&mut out, c, placeholders);
        i = end.max(i + 1);
    }
    out
}

/// Whether the heading at `index` (id `id`) only groups the requirements
/// numbered under it ("### FR1: Folder Watching" over FR1.1, FR1.2…): the
/// items are the requirements, the heading is their group.
fn numbers_a_group(doc: &Doc, index: usize, id: &str) -> bool {
    let Some(level) = doc.lines[index].level() else {
        return false;
    };
    let prefix = format!("{id}.");
    doc.lines[index + 1..]
        .iter()
        .take_while(|l| l.level().is_none_or(|lv| lv > level))
        .any(|l| leading_id(&l.text).is_some_and(|(child, _)| child.starts_with(&prefix)))
}

/// Whether a table's header says its rows are work items.
fn names_work(header: Option<&Vec<String>>) -> bool {
    header.is_some_and(|h| {
        h.iter().any(|c| {
            [
                "requirement",
                "feature",
                "story",
                "capabilit",
                "function",
                "task",
                "title",
                "criteria",
            ]
            .iter()
            .any(|w| c.contains(w))
        })
    })
}

/// A MoSCoW-lettered id (`M1.`, `S2:`) under a heading of the same priority.
/// Alone, `M1` or `S3` name a chip or a storage service, so the id reader
/// refuses those letters; under "Must" or "Should" they number the items.
fn moscow_id(text: &str, priority: Option<Priority>) -> Option<(String, &str)> {
    let letter = match priority? {
        Priority::Must => 'M',
        Priority::Should => 'S',
        Priority::Could => 'C',
    };
    let t = text.trim_start_matches(['*', '`', '[', '_', ' ', '(']);
    let rest = t.strip_prefix(letter)?;
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let after = &rest[digits..];
    let sep = after.chars().next()?;
    if !matches!(sep, '.' | ':' | ')' | ' ' | '*') {
        return None;
    }
    let body = after.trim_start_matches(['.', ':', ')', '*', ' ']);
    Some((t[..1 + digits].to_owned(), body))
}

/// The verbatim text after an id on a raw line, for the trace.
fn hint_after_id(raw: &str, rest: &str) -> String {
    let first_words: String = rest
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(pos) = raw
        .find(first_words.as_str())
        .filter(|_| !first_words.is_empty())
    {
        raw[pos..].trim().to_owned()
    } else {
        raw.trim().to_owned()
    }
}

/// Removes "(Should)", "[P1]" or "Priority: Medium" from a title.
fn strip_priority_mark(title: &str, _priority: Priority) -> String {
    let mut t = title.to_owned();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let (Some(a), Some(b)) = (t.rfind(open), t.rfind(close)) {
            if a < b && priority_label(&t[a + 1..b]).is_some_and(|p| p.is_ok()) {
                t = format!("{}{}", &t[..a], &t[b + 1..]);
            }
        }
    }
    if let Some(pos) = t.to_lowercase().find("priority") {
        if pos > 0 {
            t.truncate(pos);
        }
    }
    t.trim()
        .trim_end_matches(['.', ',', ';', '-', '–', '|'])
        .trim()
        .to_owned()
}

// ---------------------------------------------------------------- tables

#[derive(Debug, Default)]
struct Columns {
    id: Option<usize>,
    title: Option<usize>,
    description: Option<usize>,
    criteria: Option<usize>,
    priority: Option<usize>,
    status: Option<usize>,
    depends: Option<usize>,
    role: Option<usize>,
    want: Option<usize>,
    benefit: Option<usize>,
}

fn columns(header: &[String]) -> Columns {
    let find = |names: &[&str]| {
        header.iter().position(|h| {
            let h = h
                .trim()
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '#');
            names
                .iter()
                .any(|n| if n.len() <= 3 { h == *n } else { h.contains(n) })
        })
    };
    Columns {
        id: find(&[
            "id",
            "#",
            "ref",
            "req id",
            "key",
            "nr",
            "no",
            "identifier",
            "req. id",
        ]),
        title: find(&[
            "title",
            "name",
            "feature",
            "requirement",
            "user story",
            "story",
            "capability",
            "function",
            "summary",
            "item",
            "wymaganie",
            "funkcja",
        ]),
        description: find(&[
            "description",
            "details",
            "desc",
            "opis",
            "behaviour",
            "behavior",
        ]),
        criteria: find(&[
            "acceptance",
            "criteria",
            "ac",
            "definition of done",
            "kryteria",
        ]),
        priority: find(&["priority", "moscow", "importance", "prio", "priorytet"]),
        status: find(&["status", "state", "done", "implemented"]),
        depends: find(&["depend", "blocked by", "prerequisite"]),
        role: find(&["as a", "as an", "role", "persona", "actor"]),
        want: find(&["i want", "want", "goal"]),
        benefit: find(&["so that", "benefit", "reason"]),
    }
}

/// A requirement from a table row, when the row is one: it has an id (when
/// `need_id`), or a title or story columns.
fn table_row(line: &Line, need_id: bool) -> Option<Candidate> {
    let header = line.header.as_deref()?;
    let cols = columns(header);
    let cell = |i: Option<usize>| {
        i.and_then(|i| line.cells.get(i))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    };
    let raw_cell = |i: Option<usize>| {
        i.and_then(|i| line.raw_cells.get(i))
            .map(|c| c.trim().to_owned())
    };
    let id = cell(cols.id)
        .or_else(|| line.cells.first().map(String::as_str))
        .and_then(|c| {
            leading_id(c)
                .filter(|(_, rest)| rest.is_empty())
                .map(|(id, _)| id)
        })
        .or_else(|| cell(cols.id).filter(|c| is_id_cell(c)).map(str::to_owned));
    if need_id && id.is_none() {
        return None;
    }
    let story = cols.role.zip(cols.want);
    let title_col = cols.title.or(cols.description).or(if cols.want.is_some() {
        None
    } else {
        // The longest cell that is not the id, priority or status.
        (0..line.cells.len())
            .filter(|i| {
                Some(*i) != cols.id
                    && Some(*i) != cols.priority
                    && Some(*i) != cols.status
                    && Some(*i) != cols.criteria
            })
            .max_by_key(|i| line.cells[*i].len())
    });
    let (title, hint) = if let (Some((role, _)), true) = (story, cell(cols.want).is_some()) {
        let role = line.cells.get(role).map(String::as_str).unwrap_or("");
        let want_text = cell(cols.want).unwrap_or("");
        let benefit = cell(cols.benefit);
        (
            story_text(role, want_text, benefit),
            raw_cell(cols.want).unwrap_or_default(),
        )
    } else {
        let title = cell(title_col)?.to_owned();
        (title, raw_cell(title_col).unwrap_or_default())
    };
    if title.is_empty() {
        return None;
    }
    let mut c = Candidate::new(id, title, hint, line, None);
    if cols.description.is_some() && cols.description != title_col {
        c.description = cell(cols.description).map(str::to_owned);
    }
    if let Some(criteria) = cell(cols.criteria) {
        c.criteria = split_criteria(criteria);
    }
    c.priority = cell(cols.priority)
        .and_then(|p| priority_label(p).and_then(Result::ok))
        .or_else(|| {
            line.cells.iter().find_map(|cell| {
                (cell.split_whitespace().count() <= 2)
                    .then(|| priority_label(cell).and_then(Result::ok))
                    .flatten()
            })
        });
    if let Some(status) = cell(cols.status) {
        c.dropped = is_dropped_status(status);
        c.done = !c.dropped && (c.done || is_done_status(status));
    }
    if let Some(deps) = cell(cols.depends) {
        c.after = split_refs(deps);
    }
    Some(c)
}

/// A cell of an explicit id column holding one identifier in a scheme the
/// id reader does not know (`mp3-001`, `auth.login.2`, `42`).
fn is_id_cell(cell: &str) -> bool {
    let cell = cell.trim().trim_matches('`');
    (1..=24).contains(&cell.len())
        && cell.chars().any(|c| c.is_ascii_digit())
        && cell
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn split_criteria(cell: &str) -> Vec<String> {
    cell.split(['•', ';'])
        .map(|c| c.trim().trim_start_matches(['-', '*']).trim().to_owned())
        .filter(|c| c.split_whitespace().count() >= 2)
        .collect()
}

/// Ids or names in a "depends on" note.
fn split_refs(text: &str) -> Vec<String> {
    text.split([',', ';', '/'])
        .flat_map(|part| part.split(" and "))
        .map(|p| {
            p.trim()
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_owned()
        })
        .filter(|p| {
            !p.is_empty() && !matches!(p.to_lowercase().as_str(), "none" | "n/a" | "na" | "-")
        })
        .collect()
}

// ---------------------------------------------------------------- bodies

/// Reads what belongs to the candidate at `start` (criteria, priority,
/// status, description, stated dependencies) and returns the first unit
/// after its body.
fn attach_body(
    doc: &Doc,
    roles: &[Role],
    start: usize,
    head_index: usize,
    c: &mut Candidate,
    consumed: &mut [bool],
    ids_mode: bool,
) -> usize {
    let head = &doc.lines[head_index];
    let mut gwt: Vec<String> = Vec::new();
    let mut j = start + 1;
    while j < doc.lines.len() {
        let line = &doc.lines[j];
        let inside = match head.kind {
            Kind::Heading(level) if level <= 6 => match line.kind {
                Kind::Heading(l) if l <= level => false,
                Kind::Heading(7) => true,
                Kind::Heading(_) => !ids_mode || leading_id(&line.text).is_none(),
                _ => true,
            },
            Kind::Heading(_) => {
                !line.is_heading() || line.level() == Some(7) && is_body_label(&line.text)
            }
            _ if head.is_item() => {
                descends_from(doc, j, head_index)
                    || (line.kind == Kind::Text && line.parent.is_none() && body_line(&line.text))
            }
            Kind::Text => {
                (line.kind == Kind::Text && body_line(&line.text))
                    || (line.is_item()
                        && line
                            .parent
                            .is_some_and(|p| p >= head_index && p < j && !doc.lines[p].is_item()))
                    || descends_from(doc, j, head_index)
            }
            _ => false,
        };
        if !inside {
            break;
        }
        if ids_mode
            && line.kind != Kind::Code
            && leading_id(&line.text).is_some()
            && !descends_from(doc, j, head_index)
        {
            break;
        }
        if ids_mode && line.kind == Kind::TableRow && table_row(line, true).is_some() {
            break;
        }
        if roles[j].excludes_requirements() && roles[j] != roles[head_index] {
            break;
        }
        consumed[j] = true;
        read_body_line(doc, j, c, &mut gwt);
        j += 1;
    }
    flush_gwt(&mut gwt, c);
    j
}

fn is_body_label(text: &str) -> bool {
    let l = text.to_lowercase();
    [
        "acceptance",
        "criteria",
        "priority",
        "status",
        "description",
        "depends",
        "notes",
        "details",
        "definition of done",
    ]
    .iter()
    .any(|w| l.starts_with(w))
}

/// A prose line that still belongs to the requirement above it.
fn body_line(text: &str) -> bool {
    is_gwt(text)
        || acceptance_label(text).is_some()
        || is_body_label(text)
        || inline_label(text, &["priority", "status", "depends on", "dependencies"]).is_some()
}

fn descends_from(doc: &Doc, index: usize, ancestor: usize) -> bool {
    let mut parent = doc.lines[index].parent;
    let mut guard = 0;
    while let Some(p) = parent {
        if p == ancestor {
            return true;
        }
        parent = doc.lines[p].parent;
        guard += 1;
        if guard > 32 {
            break;
        }
    }
    false
}

/// `Label: value` for one of `labels`, the value returned.
fn inline_label<'a>(text: &'a str, labels: &[&str]) -> Option<&'a str> {
    let lower = text.to_lowercase();
    for label in labels {
        if lower.starts_with(label) {
            let rest = text.get(label.len()..)?.trim_start();
            if let Some(value) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('-')) {
                return Some(value.trim());
            }
        }
    }
    None
}

fn read_body_line(doc: &Doc, j: usize, c: &mut Candidate, gwt: &mut Vec<String>) {
    let line = &doc.lines[j];
    let text = line.text.trim();
    if text.is_empty() || line.kind == Kind::Code {
        return;
    }
    if is_gwt(text) {
        gwt.push(text.trim_end_matches([',', ';']).to_owned());
        return;
    }
    flush_gwt(gwt, c);
    if let Some(p) = inline_label(text, &["priority", "prio", "priorytet"]) {
        if let Some(Ok(p)) = priority_label(p) {
            c.priority = Some(p);
        }
        return;
    }
    if let Some(s) = inline_label(text, &["status", "state"]) {
        c.dropped = is_dropped_status(s);
        c.done = !c.dropped && (c.done || is_done_status(s));
        return;
    }
    if let Some(d) = inline_label(
        text,
        &[
            "depends on",
            "dependencies",
            "depends",
            "blocked by",
            "requires",
        ],
    ) {
        c.after.extend(split_refs(d));
        return;
    }
    if let Some(a) = acceptance_label(text) {
        c.criteria.push(a.to_owned());
        return;
    }
    if line.is_heading() || text.ends_with(':') && !line.is_item() {
        return;
    }
    if let Some(what) = inline_label(
        text,
        &["what it does", "what", "description", "desc", "summary"],
    ) {
        if c.description.is_none() && !what.is_empty() {
            c.description = Some(what.to_owned());
        }
        return;
    }
    if inline_label(
        text,
        &[
            "why it's important",
            "why it matters",
            "why",
            "rationale",
            "benefit",
            "notes",
            "note",
        ],
    )
    .is_some()
    {
        return;
    }
    match line.kind {
        Kind::Text
            if line.parent.is_none()
                && c.description.is_none()
                && c.criteria.is_empty()
                && !text.get(..24).unwrap_or(text).contains(':') =>
        {
            c.description = Some(first_sentence(text));
        }
        Kind::Text => {}
        Kind::TableRow => {
            if let Some(cell) = line.cells.iter().max_by_key(|c| c.len()) {
                c.criteria.push(cell.clone());
            }
        }
        _ => {
            let criterion = inline_label(text, &["how it works", "how"]).unwrap_or(text);
            if !criterion.is_empty() {
                c.criteria.push(criterion.to_owned());
            }
        }
    }
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(pos) if pos > 20 => text[..=pos].to_owned(),
        _ => text.to_owned(),
    }
}

fn flush_gwt(gwt: &mut Vec<String>, c: &mut Candidate) {
    if !gwt.is_empty() {
        c.criteria.push(gwt.join(", "));
        gwt.clear();
    }
}

// ---------------------------------------------------------------- priorities, groups, phases

/// `Err(())` when a label or heading above the unit says won't-have / out of scope.
fn parent_priority(doc: &Doc, index: usize) -> Option<Result<Priority, ()>> {
    let mut parent = doc.lines[index].parent;
    let mut guard = 0;
    while let Some(p) = parent {
        let text = &doc.lines[p].text;
        if text.split_whitespace().count() <= 6 {
            if let Some(found) = priority_label(text) {
                return Some(found);
            }
        }
        parent = doc.lines[p].parent;
        guard += 1;
        if guard > 32 {
            break;
        }
    }
    doc.lines[index]
        .path
        .iter()
        .rev()
        .filter(|h| h.split_whitespace().count() <= 6)
        .find_map(|h| priority_label(h))
}

fn path_priority(doc: &Doc, index: usize) -> Option<Priority> {
    parent_priority(doc, index).and_then(Result::ok)
}

/// The phase a heading path names: MVP / phase 1 / v1 → 1, phase N → N.
pub fn phase_of_path(path: &[String]) -> Option<u32> {
    path.iter().rev().find_map(|h| phase_of(h))
}

pub fn phase_of(text: &str) -> Option<u32> {
    let l = text.to_lowercase();
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if matches!(
            *w,
            "phase" | "milestone" | "release" | "stage" | "etap" | "faza" | "sprint"
        ) {
            if let Some(n) = words.get(i + 1).and_then(|n| n.parse::<u32>().ok()) {
                return Some(n.max(1));
            }
        }
        if *w == "mvp" {
            return Some(1);
        }
        if let Some(n) = w.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()) {
            if (1..=5).contains(&n) && words.len() <= 6 {
                return Some(n);
            }
        }
    }
    None
}

/// The feature a unit belongs to: the innermost heading above it that is not
/// a priority label or a phase, numbering removed.
fn group_of(line: &Line, own_title: Option<&str>) -> String {
    if let Some(t) = own_title {
        return t.to_owned();
    }
    let path = if line.is_heading() && line.path.len() > 1 {
        &line.path[..line.path.len() - 1]
    } else {
        &line.path[..]
    };
    path.iter()
        .rev()
        .map(|h| strip_numbering(h))
        .find(|h| {
            h.split_whitespace().count() > 4 || priority_label(h).is_none() && phase_of(h).is_none()
        })
        .map(str::to_owned)
        .unwrap_or_default()
}

// ---------------------------------------------------------------- without ids

/// Words that make an item a stated capability rather than a detail.
fn is_requirement_like(text: &str) -> bool {
    let l = format!(" {} ", text.to_lowercase());
    [
        " can ",
        " shall ",
        " must ",
        " should ",
        " will ",
        " may ",
        " able to ",
    ]
    .iter()
    .any(|w| l.contains(w))
        || text.to_lowercase().starts_with("as a")
}

/// Headings under a feature section that organise it rather than name a feature.
/// Words that name a collection of features rather than one feature.
const COLLECTION_WORDS: &[&str] = &[
    "core",
    "key",
    "main",
    "primary",
    "product",
    "system",
    "mvp",
    "initial",
    "basic",
    "the",
    "and",
    "of",
    "list",
    "set",
    "in",
    "user",
    "functional",
];
const COLLECTION_NOUNS: &[&str] = &[
    "features",
    "feature",
    "functionality",
    "functionalities",
    "requirements",
    "requirement",
    "capabilities",
    "scope",
    "stories",
];

/// "Core Features (POC Phase)", "Core Functionality", "MVP Requirements":
/// a heading made only of collection words, with a parenthetical aside.
fn only_collection_words(lower: &str) -> bool {
    let main = lower.split('(').next().unwrap_or(lower);
    let words: Vec<&str> = main
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words.iter().any(|w| COLLECTION_NOUNS.contains(w))
        && words
            .iter()
            .all(|w| COLLECTION_NOUNS.contains(w) || COLLECTION_WORDS.contains(w))
}

fn is_generic_heading(text: &str) -> bool {
    let l = strip_numbering(text)
        .trim_end_matches(':')
        .trim()
        .to_lowercase();
    priority_label(&l).is_some() && l.split_whitespace().count() <= 4
        || only_collection_words(&l)
        || phase_of(&l).is_some()
        || [
            "overview",
            "acceptance criteria",
            "user stories",
            "description",
            "details",
            "behavior",
            "behaviour",
            "functional requirements",
            "requirements",
            "core features",
            "features",
            "key features",
            "in scope",
            "scope",
            "notes",
            "summary",
        ]
        .iter()
        .any(|g| l == *g)
}

fn without_ids(
    doc: &Doc,
    title: Option<&str>,
    roles: &[Role],
    consumed: &mut [bool],
    placeholders: &mut usize,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < doc.lines.len() {
        let line = &doc.lines[i];
        let role = roles[i];
        if consumed[i] || role.excludes_requirements() || line.kind == Kind::Code {
            i += 1;
            continue;
        }
        if parent_priority(doc, i) == Some(Err(())) {
            i += 1;
            continue;
        }
        // Stories anywhere the PRD plans work.
        if let Some(story) = story_of(&line.text) {
            if line.kind == Kind::TableRow {
                if let Some(c) = table_row(line, false) {
                    push_candidate(&mut out, c, placeholders);
                }
                i += 1;
                continue;
            }
            let mut c = Candidate::new(None, story, line.raw.clone(), line, None);
            c.priority = inline_priority(&line.text);
            consumed[i] = true;
            let end = attach_body(doc, roles, i, i, &mut c, consumed, false);
            if c.priority.is_none() {
                c.priority = path_priority(doc, i);
            }
            push_candidate(&mut out, c, placeholders);
            i = end.max(i + 1);
            continue;
        }
        if line.kind == Kind::TableRow {
            let story_columns = line.header.as_deref().is_some_and(|h| {
                h.iter().any(|c| c.contains("as a")) && h.iter().any(|c| c.contains("want"))
            });
            if role == Role::Features || story_columns {
                if let Some(mut c) = table_row(line, false) {
                    c.priority = c.priority.or_else(|| path_priority(doc, i));
                    push_candidate(&mut out, c, placeholders);
                }
            }
            i += 1;
            continue;
        }
        // A story written as a heading: "### As a facilitator" with a "Story:" line.
        if line.is_heading() {
            if let Some(actor) = heading_actor(&line.text) {
                let end = story_block(doc, i, &actor, consumed, &mut out, placeholders);
                i = end.max(i + 1);
                continue;
            }
        }
        // A label ("… the following features:") speaks only where no heading does.
        let in_features = role == Role::Features || role == Role::Unknown && feature_label(doc, i);
        if !in_features {
            // Open checklists outside any feature section are still work to plan.
            if matches!(line.kind, Kind::Check(_))
                && !matches!(role, Role::Quality | Role::Technical)
            {
                let mut c = Candidate::new(None, line.text.clone(), line.raw.clone(), line, None);
                c.priority = inline_priority(&line.text).or_else(|| path_priority(doc, i));
                consumed[i] = true;
                let end = attach_body(doc, roles, i, i, &mut c, consumed, false);
                push_candidate(&mut out, c, placeholders);
                i = end.max(i + 1);
                continue;
            }
            i += 1;
            continue;
        }
        match line.kind {
            Kind::Heading(_) if is_feature_heading(line, title) => {
                let items = direct_items(doc, i);
                let capability_items = items
                    .iter()
                    .filter(|j| is_requirement_like(&doc.lines[**j].text))
                    .count();
                let items_with_children = items
                    .iter()
                    .filter(|j| {
                        doc.lines
                            .get(**j + 1)
                            .is_some_and(|next| next.parent == Some(**j))
                    })
                    .count();
                if items.len() >= 2
                    && (capability_items * 2 >= items.len()
                        || items_with_children * 2 >= items.len())
                {
                    // The heading groups stated capabilities, or items with
                    // details of their own: each item is a requirement.
                    i += 1;
                    continue;
                }
                let title = strip_numbering(&line.text).to_owned();
                let mut c =
                    Candidate::new(None, title.clone(), line.raw.clone(), line, Some(&title));
                c.priority = inline_priority(&line.text);
                if let Some(p) = c.priority {
                    c.title = strip_priority_mark(&c.title, p);
                }
                consumed[i] = true;
                let end = attach_body(doc, roles, i, i, &mut c, consumed, false);
                if c.priority.is_none() {
                    c.priority = path_priority(doc, i);
                }
                push_candidate(&mut out, c, placeholders);
                i = end.max(i + 1);
            }
            _ if line.is_item() && label_item_role(doc, i).is_some() => {
                // "**MVP Requirements**:" / "**Future Enhancements**:" with items
                // under it: a label, not a requirement; what it holds depends on
                // what it names.
                consumed[i] = true;
                if label_item_role(doc, i).is_some_and(Role::excludes_requirements) {
                    let mut j = i + 1;
                    while j < doc.lines.len() && descends_from(doc, j, i) {
                        consumed[j] = true;
                        j += 1;
                    }
                    i = j;
                } else {
                    i += 1;
                }
            }
            _ if line.is_item() && marked_future(&line.text) => {
                // "Notifications (Future Phase)": named now, built later.
                let mut j = i + 1;
                while j < doc.lines.len() && descends_from(doc, j, i) {
                    consumed[j] = true;
                    j += 1;
                }
                consumed[i] = true;
                i = j;
            }
            _ if line.is_item()
                && (line.indent == 0
                    || line
                        .parent
                        .is_some_and(|p| label_item_role(doc, p) == Some(Role::Features))) =>
            {
                let mut c = Candidate::new(None, line.text.clone(), line.raw.clone(), line, None);
                c.priority = inline_priority(&line.text);
                consumed[i] = true;
                let end = attach_body(doc, roles, i, i, &mut c, consumed, false);
                if c.priority.is_none() {
                    c.priority = path_priority(doc, i);
                }
                push_candidate(&mut out, c, placeholders);
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// A feature title whose aside puts it after the current release
/// ("(Future Phase)", "(post-MVP)", "(v2)", "(later)").
fn marked_future(text: &str) -> bool {
    let lower = text.to_lowercase();
    let Some(open) = lower.rfind(['(', '（']) else {
        return false;
    };
    let aside = &lower[open..];
    [
        "future",
        "post-mvp",
        "post mvp",
        "later",
        "v2",
        "phase 2",
        "phase 3",
        "next release",
        "未來",
        "未来",
        "後續",
        "后续",
        "将来",
        "향후",
        "추후",
        "tương lai",
        "майбутн",
        "будущ",
    ]
    .iter()
    .any(|w| aside.contains(w))
}

/// The role a list item names when it is only a label for the items under
/// it: a short text ending in a colon, with children, that names a section
/// ("MVP Requirements:", "Future Enhancements:"). Collection names count as
/// features.
fn label_item_role(doc: &Doc, index: usize) -> Option<Role> {
    let line = &doc.lines[index];
    let name = line.text.trim().strip_suffix(':')?.trim();
    let has_children = doc
        .lines
        .get(index + 1)
        .is_some_and(|next| next.parent == Some(index));
    if !has_children || name.split_whitespace().count() > 5 {
        return None;
    }
    if is_generic_heading(name) {
        return Some(Role::Features);
    }
    super::scope::heading_role(name)
}

/// Whether the list at `index` hangs under a label that announces features
/// ("… with the following features:").
fn feature_label(doc: &Doc, index: usize) -> bool {
    let line = &doc.lines[index];
    if !line.is_item() {
        return false;
    }
    let mut parent = line.parent;
    while let Some(p) = parent {
        let l = doc.lines[p].text.to_lowercase();
        if !doc.lines[p].is_item()
            && [
                "feature",
                "requirement",
                "must be able",
                "should be able",
                "capabilit",
                "users can",
                "it should",
                "it must",
                "mvp",
            ]
            .iter()
            .any(|w| l.contains(w))
        {
            return true;
        }
        parent = doc.lines[p].parent;
    }
    false
}

/// Where in a heading path the feature section starts (the document title
/// never counts).
fn feature_root(path: &[String], title: Option<&str>) -> Option<usize> {
    path.iter().position(|h| {
        Some(h.as_str()) != title && super::scope::heading_role(h) == Some(Role::Features)
    })
}

/// A heading one level below the feature section's own heading, naming a feature.
fn is_feature_heading(line: &Line, title: Option<&str>) -> bool {
    let Some(root) = feature_root(&line.path, title) else {
        return false;
    };
    let text = &line.text;
    line.path.len() == root + 2
        && !is_generic_heading(text)
        && !is_placeholder(text)
        && text.split_whitespace().count() <= 14
}

/// Items directly under a heading (not nested in another item).
fn direct_items(doc: &Doc, heading: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for (j, line) in doc.lines.iter().enumerate().skip(heading + 1) {
        if line.level().is_some() {
            break;
        }
        if line.is_item()
            && line.indent == 0
            && line
                .parent
                .is_none_or(|p| p == heading || !doc.lines[p].is_heading())
        {
            out.push(j);
        }
    }
    out
}

fn story_of(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let starts = ["as a ", "as an ", "as the "]
        .iter()
        .any(|s| lower.starts_with(s));
    (starts && (lower.contains(" want") || lower.contains(" i can") || lower.contains(" need")))
        .then(|| sentence_case(text))
}

fn heading_actor(text: &str) -> Option<String> {
    let plain = text.trim();
    let lower = plain.to_lowercase();
    for prefix in ["as a ", "as an "] {
        if lower.starts_with(prefix) && !lower.contains(" want") {
            return plain.get(prefix.len()..).map(|a| a.trim().to_owned());
        }
    }
    None
}

/// "### As a Developer" followed by "**Story**: I want …" and acceptance lines.
fn story_block(
    doc: &Doc,
    heading: usize,
    actor: &str,
    consumed: &mut [bool],
    out: &mut Vec<Candidate>,
    placeholders: &mut usize,
) -> usize {
    let level = doc.lines[heading].level().unwrap_or(7);
    let mut j = heading + 1;
    let mut current: Option<Candidate> = None;
    while j < doc.lines.len() {
        let line = &doc.lines[j];
        if line.level().is_some_and(|l| l <= level) {
            break;
        }
        consumed[j] = true;
        if let Some(want) = inline_label(&line.text, &["user story", "story"]) {
            if let Some(c) = current.take() {
                push_candidate(out, c, placeholders);
            }
            let mut c = Candidate::new(
                None,
                story_text(actor, want, None),
                hint_after_id(&line.raw, want),
                line,
                None,
            );
            c.priority = path_priority(doc, j);
            current = Some(c);
        } else if let Some(c) = current.as_mut() {
            let mut gwt = Vec::new();
            read_body_line(doc, j, c, &mut gwt);
            flush_gwt(&mut gwt, c);
        } else if let Some(story) = story_of(&line.text) {
            let mut c = Candidate::new(None, story, line.raw.clone(), line, None);
            c.priority = path_priority(doc, j);
            current = Some(c);
        }
        j += 1;
    }
    if let Some(c) = current {
        push_candidate(out, c, placeholders);
    }
    j
}

// ---------------------------------------------------------------- finishing

fn push_candidate(out: &mut Vec<Candidate>, mut c: Candidate, placeholders: &mut usize) {
    // Unfilled slots under a heading are not criteria; a heading whose whole
    // body was slots ("### Functional" over "- **Core flows:** {{ … }}") is
    // a template's section, not a feature.
    let had_body = !c.criteria.is_empty() || c.description.is_some();
    c.criteria.retain(|criterion| !is_placeholder(criterion));
    if c.description.as_deref().is_some_and(is_placeholder) {
        c.description = None;
    }
    let body_was_slots = had_body && c.criteria.is_empty() && c.description.is_none();
    let text = c.text();
    if text.trim().is_empty()
        || is_placeholder(&text)
        || is_placeholder(&c.title) && c.description.is_none()
        || body_was_slots
    {
        *placeholders += 1;
        return;
    }
    out.push(c);
}

fn finish(candidates: Vec<Candidate>, reading: &mut Reading) {
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut seen_text: HashSet<String> = HashSet::new();
    let mut n = 0;
    for c in candidates {
        let text = c.text();
        if c.dropped {
            // Removed from the release: neither built nor to build.
            let label = match &c.id {
                Some(id) => format!("{id}: {text} (dropped per its status)"),
                None => format!("{text} (dropped per its status)"),
            };
            if !reading.non_goals.contains(&label) {
                reading.non_goals.push(label);
            }
            continue;
        }
        if c.done {
            let label = match &c.id {
                Some(id) => format!("{id}: {text}"),
                None => text.clone(),
            };
            if !reading.done.contains(&label) {
                reading.done.push(label);
            }
            continue;
        }
        let key = text.to_lowercase();
        if !seen_text.insert(key.clone()) {
            // The same feature stated twice (an overview list, then its section): one requirement.
            if let Some(earlier) = reading
                .requirements
                .iter_mut()
                .find(|r| r.draft.text.to_lowercase() == key)
            {
                for a in &c.criteria {
                    if !earlier.draft.acceptance_criteria.contains(a) {
                        earlier.draft.acceptance_criteria.push(a.clone());
                    }
                }
                if earlier.group.is_empty() || super::issues_group_is_generic(&earlier.group) {
                    earlier.group = c.group.clone();
                }
            }
            continue;
        }
        // A later restatement (an MVP list naming a feature again) adds its phase.
        if c.id.is_none() && c.phase.is_some() {
            let words = content_words(&text);
            if let Some(earlier) = reading.requirements.iter_mut().find(|r| {
                let other = content_words(&r.draft.text);
                let shared = other.intersection(&words).count();
                let smaller = other.len().min(words.len());
                smaller >= 3 && shared * 10 >= smaller * 8
            }) {
                if earlier.phase.is_none() {
                    earlier.phase = c.phase;
                }
                continue;
            }
        }
        let id = match c.id.clone() {
            Some(id) if seen_ids.insert(id.clone()) => id,
            Some(_) => continue,
            None => loop {
                n += 1;
                let id = format!("REQ-{n:03}");
                if seen_ids.insert(id.clone()) {
                    break id;
                }
            },
        };
        let priority = c
            .priority
            .or(match c.phase {
                Some(p) if p >= 2 => Some(Priority::Should),
                _ => None,
            })
            .or_else(|| modal_priority(&text))
            .unwrap_or_default();
        let mut criteria: Vec<String> = Vec::new();
        for a in &c.criteria {
            let a = a.trim().trim_end_matches(':').trim().to_owned();
            if !a.is_empty() && !criteria.contains(&a) && a.to_lowercase() != text.to_lowercase() {
                criteria.push(a);
            }
        }
        reading.requirements.push(ReadRequirement {
            draft: RequirementDraft {
                id,
                text: sentence_case(&text),
                priority,
                acceptance_criteria: criteria,
                source_hint: if c.hint.trim().is_empty() {
                    text.clone()
                } else {
                    c.hint.clone()
                },
            },
            group: c.group,
            phase: c.phase,
            after: c.after,
        });
    }
}
