//! The PRD's prose read for the pack's other parts: title, summary, actors,
//! workflows, entities, NFRs and the questions it leaves open.

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use pass_contracts::pack::{Auditability, Availability, DataSensitivity, Latency, Scale};

use super::document::{Doc, Kind};
use super::scope::{Role, role_of};
use super::text::{any_word, first_sentences, is_placeholder, looks_templated, sentence_case};
use crate::sections::{EntityDraft, IntegrationDraft, NfrsDraft, RequirementDraft, WorkflowDraft};

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
    "user stories",
];

pub fn title(doc: &Doc) -> Option<String> {
    // Only the document's first heading can be its title; later ones name sections.
    if let Some(line) = doc
        .lines
        .iter()
        .find(|l| matches!(l.kind, Kind::Heading(_)))
    {
        if let Kind::Heading(level) = line.kind {
            if let Some(t) = clean_title(&line.text).filter(|_| level <= 2) {
                return Some(t);
            }
        }
    }
    // A short first line that is not a sentence is the title of a plain-text PRD.
    let first = doc.lines.iter().find(|l| !matches!(l.kind, Kind::Code))?;
    if first.kind == Kind::Text
        && first.text.len() <= 80
        && !first.text.ends_with(['.', ':', '?', '!'])
    {
        return clean_title(&first.text);
    }
    None
}

/// A title line without the document kind around it ("PRD — X",
/// "X - Product Requirements Document", "X (PRD)") and without dangling
/// separators; `None` when what is left names no product: a generic heading,
/// an unfilled slot.
fn clean_title(line: &str) -> Option<String> {
    const KINDS: &[&str] = &["product requirements document", "(prd)", "prd"];
    const SEPARATORS: &[char] = &['-', '–', '—', ':', '|', '·'];
    let is_break = |c: char| c.is_whitespace() || SEPARATORS.contains(&c);
    let mut t = line.trim().to_owned();
    loop {
        let before = t.clone();
        t = t.trim_matches(is_break).to_owned();
        for kind in KINDS {
            let n = kind.len();
            // "X - PRD": the kind at the end, after a break (not "ScanPRD").
            if t.len() > n && t.is_char_boundary(t.len() - n) {
                let (head, tail) = t.split_at(t.len() - n);
                if tail.eq_ignore_ascii_case(kind) && head.ends_with(is_break) {
                    t = head.to_owned();
                    continue;
                }
            }
            // "PRD — X": the kind at the start, then a break.
            if let (Some(start), Some(rest)) = (t.get(..n), t.get(n..)) {
                if start.eq_ignore_ascii_case(kind) && rest.starts_with(is_break) {
                    t = rest.to_owned();
                }
            }
        }
        if t == before {
            break;
        }
    }
    let generic = GENERIC_HEADINGS.contains(&t.to_lowercase().as_str());
    (!t.is_empty() && !generic && !t.contains(['[', '<', '{'])).then_some(t)
}

pub fn summary(doc: &Doc, title: Option<&str>, requirements: &[RequirementDraft]) -> String {
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
        let only_slots = paragraph
            .split(". ")
            .filter(|sentence| !sentence.trim().is_empty())
            .all(is_placeholder);
        if only_slots || looks_templated(&paragraph) && paragraph.split_whitespace().count() < 12 {
            continue;
        }
        let words = paragraph.split_whitespace().count();
        if under_summary && words >= 5 {
            candidate = Some(paragraph);
            break;
        }
        let role = role_of(&line.path, title);
        let background = matches!(role, Role::Context | Role::Unknown | Role::Features);
        if candidate.is_none()
            && words >= 6
            && doc.lines[i].path.len() <= 3
            && background
            && !is_passing_context(&line.path)
        {
            candidate = Some(paragraph);
        }
    }
    let mut text = candidate.unwrap_or_default();
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

/// Context sections that never describe the product itself.
fn is_passing_context(path: &[String]) -> bool {
    path.iter().any(|h| {
        let h = h.to_lowercase();
        [
            "monetis",
            "monetiz",
            "pricing",
            "competit",
            "market",
            "persona",
            "appendix",
            "governance",
            "revenue",
            "business model",
        ]
        .iter()
        .any(|w| h.contains(w))
    })
}

fn is_paragraph_start(doc: &Doc, i: usize) -> bool {
    i == 0 || doc.lines[i - 1].kind != Kind::Text
}

pub fn actors(doc: &Doc) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let push = |name: &str, found: &mut Vec<String>| {
        if looks_templated(name) {
            return;
        }
        let name = name.to_owned();
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
        if matches!(line.kind, Kind::Code) {
            continue;
        }
        let text = line.text.clone();
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
            ]
            .iter()
            .any(|k| context.contains(k))
                // "Users" alone also heads tables and API routes; only a bare
                // "Users" section lists user kinds, and a route is never one.
                || context.trim_end_matches(':') == "users";
            let route = ["GET ", "POST ", "PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|m| text.starts_with(m));
            if role_section
                && !route
                && !context.contains("stor")
                && !context.contains("experience")
            {
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

pub fn workflows(doc: &Doc) -> Vec<WorkflowDraft> {
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
    for (index, line) in doc.lines.iter().enumerate() {
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
                last.1.push(line.text.clone());
            }
            continue;
        }
        let label = match line.parent {
            Some(p) => doc.lines[p].text.trim_end_matches(':').to_owned(),
            None => line.path.last().cloned().unwrap_or_default(),
        };
        let context = doc.context(index);
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
            groups.push((label.clone(), vec![line.text.clone()]));
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

pub fn entities(doc: &Doc, requirements: &[RequirementDraft]) -> (Vec<EntityDraft>, bool) {
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
                let name = line.text.trim_end_matches(':');
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
                        .is_some_and(|h| h.eq_ignore_ascii_case(&e.name))
                });
                let text = line.text.clone();
                if heading_entity && line.parent.is_none_or(|p| !doc.lines[p].is_item()) {
                    if let Some(last) = found.last_mut() {
                        last.fields.push(field_name(&text));
                    }
                    continue;
                }
                if let Some(parent) = line.parent.filter(|p| doc.lines[*p].is_item()) {
                    let parent_name = entity_name(&doc.lines[parent].text);
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
    let vocabulary = Vocabulary::of(requirements);
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
                    && !vocabulary.has_plural(&singular)
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

/// Every whole word of the requirements, lower case, collected once: asking
/// whether a noun occurs in the plural anywhere is then a set look-up, not a
/// scan of every requirement per word (which made a 5,000-requirement PRD
/// take seconds).
struct Vocabulary {
    /// Runs of letters and digits.
    words: HashSet<String>,
    /// Runs of letters, digits and hyphens (`re-orders`).
    hyphenated: HashSet<String>,
}

impl Vocabulary {
    fn of(requirements: &[RequirementDraft]) -> Self {
        let mut words = HashSet::new();
        let mut hyphenated = HashSet::new();
        for r in requirements {
            let lower = r.text.to_ascii_lowercase();
            words.extend(
                lower
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
            hyphenated.extend(
                lower
                    .split(|c: char| !(c.is_alphanumeric() || c == '-'))
                    .filter(|w| w.contains('-'))
                    .map(str::to_owned),
            );
        }
        Self { words, hyphenated }
    }

    /// Whether `<singular>s` is a whole word of some requirement.
    fn has_plural(&self, singular: &str) -> bool {
        let plural = format!("{singular}s");
        if plural.contains('-') {
            self.hyphenated.contains(&plural)
        } else {
            self.words.contains(&plural)
        }
    }
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

pub fn nfrs(lower: &str, integrations: &[IntegrationDraft]) -> (Option<NfrsDraft>, Vec<String>) {
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

pub fn questions(doc: &Doc) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |q: String| {
        if !q.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&q)) && out.len() < 30 {
            out.push(q);
        }
    };
    for line in &doc.lines {
        // Any heading that names open questions or decisions, in any language.
        let in_questions = line
            .path
            .iter()
            .any(|h| super::scope::heading_role(h) == Some(super::scope::Role::Questions));
        if line.kind == Kind::TableRow && in_questions {
            // A decision table: the wordiest cell states the question.
            if let Some(q) = line
                .cells
                .iter()
                .max_by_key(|c| c.split_whitespace().count())
                .filter(|c| c.split_whitespace().count() >= 3 && !is_placeholder(c))
            {
                push(q.clone());
            }
            continue;
        }
        if matches!(line.kind, Kind::Code | Kind::TableRow) {
            continue;
        }
        let text = line.text.clone();
        let lower = text.to_ascii_lowercase();
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
mod title_tests {
    use super::clean_title;

    #[test]
    fn the_document_kind_and_dangling_separators_are_not_the_title() {
        for (line, title) in [
            (
                "Harbor Watch - Product Requirements Document",
                Some("Harbor Watch"),
            ),
            (
                "Harbor Watch — Product Requirements Document",
                Some("Harbor Watch"),
            ),
            (
                "PRD — Harbor Watch: alerts for moored boats",
                Some("Harbor Watch: alerts for moored boats"),
            ),
            ("PRD: Harbor Watch", Some("Harbor Watch")),
            ("Harbor Watch (PRD)", Some("Harbor Watch")),
            ("Harbor Watch —", Some("Harbor Watch")),
            ("ScanPRD", Some("ScanPRD")),
            ("Product Requirements Document (PRD)", None),
            ("Product Requirements Document: {{PRODUCT_NAME}}", None),
            ("User Stories", None),
            ("[Product name]", None),
        ] {
            assert_eq!(clean_title(line).as_deref(), title, "{line:?}");
        }
    }
}
