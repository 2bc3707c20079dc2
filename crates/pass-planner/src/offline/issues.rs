//! The offline issue plan: a foundation, the data model and one client per
//! integration first, then one issue per feature slice (requirements that
//! belong together, at most five), MVP slices before later ones, with the
//! PRD's stated order as dependencies and acceptance criteria taken from the
//! PRD or derived as specific checks.

use std::collections::{BTreeMap, BTreeSet};

use pass_contracts::pack::{
    Availability, ComponentType, Criticality, DataSensitivity, Latency, Priority,
};

use super::design::touched;
use super::requirements::ReadRequirement;
use super::text::{content_words, cut_words, has_word};
use crate::sections::{
    ArchitectureDraft, EntityDraft, IntegrationDraft, IssueDraft, IssuePlanDraft, IssueSize,
    NfrsDraft,
};

/// Most requirements one feature issue implements.
const SLICE: usize = 5;
/// Longest issue title.
pub const MAX_TITLE: usize = 80;

/// What the plan is built from.
#[derive(Debug)]
pub struct PlanInput<'a> {
    pub requirements: &'a [ReadRequirement],
    pub entities: &'a [EntityDraft],
    pub integrations: &'a [IntegrationDraft],
    pub architecture: &'a ArchitectureDraft,
    pub nfrs: &'a NfrsDraft,
    /// The PRD's dependency chain, in order (feature names).
    pub chain: &'a [String],
    pub local: bool,
    /// PRD items deliberately not planned, with the reason.
    pub left_out: &'a [String],
}

/// How many feature issues a PRD of `n` requirements is planned in: about one
/// per two to three requirements, never fewer than the requirements allow
/// nor more than 40.
pub fn feature_issue_target(n: usize) -> usize {
    if n <= 8 {
        n
    } else {
        n.div_ceil(3).clamp(8, 40)
    }
}

struct Slice<'a> {
    group: String,
    members: Vec<&'a ReadRequirement>,
    mvp: bool,
}

fn is_mvp(r: &ReadRequirement) -> bool {
    match r.phase {
        Some(p) => p <= 1,
        None => r.draft.priority == Priority::Must,
    }
}

/// Headings that collect many features rather than naming one.
pub fn is_generic_group(group: &str) -> bool {
    let l = group.to_lowercase();
    l.is_empty()
        || l.starts_with("as a")
        || super::ids::priority_label(&l).is_some() && l.split_whitespace().count() <= 5
        || [
            "requirement",
            "feature",
            "user stor",
            "scope",
            "mvp",
            "capabilit",
            "functional",
            "roadmap",
            "phase",
            "release",
            "milestone",
            "acceptance",
            "stories",
            "use case",
            "specification",
            "epic",
            "story",
            "功能",
            "需求",
            "機能",
            "要件",
            "기능",
            "요구",
            "chức năng",
            "yêu cầu",
            "функціонал",
            "функционал",
            "вимог",
            "требован",
        ]
        .iter()
        .any(|w| l.contains(w))
}

/// The id family: `FR1.2` → `FR1`, `FR-AUTH-3` → `FR-AUTH`, `US-O01` → `US-O`.
fn id_family(id: &str) -> String {
    if let Some(pos) = id.rfind(['.']) {
        return id[..pos].to_owned();
    }
    let trimmed = id.trim_end_matches(|c: char| c.is_ascii_digit());
    let trimmed = trimmed.trim_end_matches(['-', '_']);
    if trimmed.contains(['-', '_'])
        && trimmed.chars().filter(|c| c.is_ascii_uppercase()).count() > 2
    {
        trimmed.to_owned()
    } else {
        String::new()
    }
}

fn slices<'a>(requirements: &'a [ReadRequirement]) -> Vec<Slice<'a>> {
    // Groups in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<&ReadRequirement>> = BTreeMap::new();
    for r in requirements {
        let key = if is_generic_group(&r.group) {
            let family = id_family(&r.draft.id);
            if family.is_empty() {
                String::new()
            } else {
                format!("{}\u{0}{family}", r.group)
            }
        } else {
            r.group.clone()
        };
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(r);
    }
    let mut out = Vec::new();
    for key in order {
        let members = groups.remove(&key).unwrap_or_default();
        let group = key.split('\u{0}').next().unwrap_or("").to_owned();
        for mvp in [true, false] {
            let part: Vec<&ReadRequirement> = members
                .iter()
                .copied()
                .filter(|r| is_mvp(r) == mvp)
                .collect();
            if part.is_empty() {
                continue;
            }
            if is_generic_group(&group) {
                // No feature heading: neighbours that share words go together.
                let mut current: Vec<&ReadRequirement> = Vec::new();
                let mut words = BTreeSet::new();
                for r in part {
                    let w = content_words(&r.draft.text);
                    let shared = w.intersection(&words).count();
                    if !current.is_empty() && (current.len() >= SLICE || shared < 2) {
                        out.push(Slice {
                            group: group.clone(),
                            members: std::mem::take(&mut current),
                            mvp,
                        });
                        words.clear();
                    }
                    words.extend(w);
                    current.push(r);
                }
                if !current.is_empty() {
                    out.push(Slice {
                        group: group.clone(),
                        members: current,
                        mvp,
                    });
                }
            } else {
                for chunk in part.chunks(SLICE) {
                    out.push(Slice {
                        group: group.clone(),
                        members: chunk.to_vec(),
                        mvp,
                    });
                }
            }
        }
    }
    // Too many slices for the PRD's size: merge the smallest neighbours of the same tier.
    let target = feature_issue_target(requirements.len());
    while out.len() > target {
        let Some(i) = (0..out.len().saturating_sub(1))
            .filter(|i| {
                let (a, b) = (&out[*i], &out[i + 1]);
                a.mvp == b.mvp
                    && a.members.len() + b.members.len() <= SLICE + 2
                    && (a.group == b.group
                        || is_generic_group(&a.group) && is_generic_group(&b.group))
            })
            .min_by_key(|i| out[*i].members.len() + out[i + 1].members.len())
        else {
            break;
        };
        let next = out.remove(i + 1);
        out[i].members.extend(next.members);
        if out[i].group != next.group {
            out[i].group = String::new();
        }
    }
    // MVP first, keeping the PRD's order within each tier.
    let (mut mvp, later): (Vec<Slice>, Vec<Slice>) = out.into_iter().partition(|s| s.mvp);
    mvp.extend(later);
    mvp
}

/// Checks a requirement without criteria can be accepted by: specific to
/// what it does, never its sentence restated.
pub fn derived_checks(id: &str, text: &str) -> Vec<String> {
    let l = text.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| has_word(&l, w));
    let mut out = Vec::new();
    if let Some(limit) = measurable(&l) {
        out.push(format!(
            "A benchmark or load test shows the {id} target \"{limit}\" is met"
        ));
    }
    if any(&[
        "pay", "payment", "payments", "checkout", "charge", "deposit", "refund", "invoice",
    ]) {
        out.push("A successful payment is recorded once even when its confirmation arrives twice; a declined one charges nothing".to_owned());
    }
    if any(&[
        "login",
        "log in",
        "sign in",
        "sign up",
        "signup",
        "password",
        "account",
        "authenticate",
        "register",
    ]) {
        out.push(
            "Valid credentials get in; wrong ones are refused without saying which part was wrong"
                .to_owned(),
        );
    }
    if any(&[
        "email",
        "emails",
        "notify",
        "notification",
        "notifications",
        "remind",
        "reminder",
        "alert",
        "sms",
        "message",
    ]) {
        out.push("Exactly one message per event reaches the recipient; a failed send is retried and logged".to_owned());
    }
    if any(&["import", "upload", "uploads", "attach", "parse", "parses"]) {
        out.push("A valid file is read completely; a malformed one is refused naming the line or field at fault, and nothing partial is saved".to_owned());
    }
    if any(&["export", "download", "report", "reports", "csv", "pdf"]) {
        out.push(
            "The exported file opens in its target tool and holds every record the user selected"
                .to_owned(),
        );
    }
    if any(&["search", "filter", "filters", "sort", "find", "query"]) {
        out.push(
            "Results hold only matching items in the stated order; no match shows an empty state"
                .to_owned(),
        );
    }
    if any(&[
        "sync",
        "syncs",
        "real-time",
        "realtime",
        "live",
        "websocket",
    ]) {
        out.push("A change made in one place shows in the other within the stated time; a dropped connection resumes without losing changes".to_owned());
    }
    if any(&["delete", "remove", "cancel", "archive"]) {
        out.push("After removal the item is gone after a reload; removing it twice, or someone else's, is refused".to_owned());
    }
    if any(&[
        "create", "add", "new", "book", "submit", "save", "record", "log",
    ]) && out.len() < 2
    {
        out.push("Saving with valid input stores it and shows it afterwards; missing or invalid fields are refused naming the field".to_owned());
    }
    if any(&[
        "edit", "update", "change", "move", "rename", "reorder", "drag",
    ]) && out.len() < 2
    {
        out.push("A change persists across a reload; an invalid change is refused and the previous state kept".to_owned());
    }
    if any(&[
        "show",
        "display",
        "view",
        "dashboard",
        "list",
        "see",
        "page",
        "screen",
    ]) && out.len() < 2
    {
        out.push(
            "The view renders for a typical and an empty data set, with loading and error states"
                .to_owned(),
        );
    }
    if any(&["command", "cli", "flag", "flags", "terminal"]) && out.len() < 2 {
        out.push(
            "The command exits 0 on success and non-zero with a message on stderr for bad input"
                .to_owned(),
        );
    }
    if out.is_empty() {
        out.push(format!("An automated test with representative input demonstrates {id}, and one with invalid or missing input gets a clear error"));
    }
    out.truncate(3);
    out
}

/// A measurable target in a sentence ("under 3 seconds", "99.9%").
fn measurable(lower: &str) -> Option<String> {
    let words: Vec<&str> = lower.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let has_digit = w.chars().any(|c| c.is_ascii_digit());
        if !has_digit {
            continue;
        }
        let unit = words.get(i + 1).copied().unwrap_or("");
        let with_unit = w.ends_with('%')
            || w.ends_with("ms")
            || w.ends_with('s') && w.len() <= 4 && w.starts_with(|c: char| c.is_ascii_digit())
            || [
                "ms", "seconds", "second", "sec", "minutes", "minute", "mb", "gb", "fps", "users",
                "requests", "%",
            ]
            .iter()
            .any(|u| unit.trim_matches(|c: char| !c.is_alphanumeric() && c != '%') == *u);
        if with_unit {
            let start = i.saturating_sub(1);
            let end = (i + 2).min(words.len());
            return Some(
                words[start..end]
                    .join(" ")
                    .trim_matches(|c: char| c == ',' || c == '.' || c == ';')
                    .to_owned(),
            );
        }
    }
    None
}

fn size_of(requirements: usize, components: usize, criteria: usize) -> IssueSize {
    match requirements * 2 + components + criteria / 3 {
        0..=4 => IssueSize::S,
        5..=9 => IssueSize::M,
        _ => IssueSize::L,
    }
}

fn unique_title(title: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = cut_words(&title, MAX_TITLE);
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        let suffix = format!(" ({n})");
        candidate = format!("{}{suffix}", cut_words(&title, MAX_TITLE - suffix.len()));
        n += 1;
    }
    candidate
}

fn slice_title(slice: &Slice<'_>, part: Option<usize>) -> String {
    let lead = &slice.members[0].draft.text;
    let lead = lead.split(": ").next().unwrap_or(lead);
    let base = if slice.group.is_empty() || is_generic_group(&slice.group) {
        cut_words(&story_goal(lead), 70)
    } else {
        slice.group.clone()
    };
    let base = if slice.mvp {
        base
    } else {
        format!("{base} (later)")
    };
    match part {
        Some(n) if n > 1 => format!("{base}, part {n}"),
        _ => base,
    }
}

/// "As a patient, I want to book a slot, so that …" → "Book a slot" (with
/// or without the comma before "so that").
fn story_goal(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.starts_with("as a") {
        if let Some(pos) = lower.find(" i want ") {
            let rest = &text[pos + " i want ".len()..];
            let rest = rest.strip_prefix("to ").unwrap_or(rest);
            let end = rest.to_lowercase().find(" so that").unwrap_or(rest.len());
            let goal = rest[..end].trim().trim_end_matches([',', '.']);
            let mut chars = goal.chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => text.to_owned(),
            };
        }
    }
    text.to_owned()
}

pub fn issue_plan(input: &PlanInput<'_>) -> IssuePlanDraft {
    let arch = input.architecture;
    let mut issues: Vec<IssueDraft> = Vec::new();
    let mut titles = BTreeSet::new();
    let mut next = 1;
    let mut new_id = || {
        let id = format!("ISSUE-{next:03}");
        next += 1;
        id
    };
    let internal: Vec<String> = arch
        .components
        .iter()
        .filter(|c| {
            !matches!(
                c.kind,
                ComponentType::ExternalIntegration | ComponentType::AuthProvider
            )
        })
        .map(|c| c.name.clone())
        .collect();
    let first_of = |kind: ComponentType| {
        arch.components
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.name.clone())
    };
    let db = first_of(ComponentType::Db);
    let main = first_of(ComponentType::Api)
        .or_else(|| first_of(ComponentType::Worker))
        .or_else(|| arch.components.first().map(|c| c.name.clone()))
        .unwrap_or_default();

    let foundation = new_id();
    let mut criteria =
        vec!["CI builds, lints and tests every component on each pull request".to_owned()];
    if arch.api_surface.iter().any(|s| s.contains("/health")) {
        criteria.push(format!("{main} answers GET /health with 200"));
    }
    if let Some(db) = &db {
        criteria.push(format!(
            "{db} schema migrations run from an empty store and are repeatable"
        ));
    }
    if input.local {
        criteria.push("A release build installs and starts on a clean machine".to_owned());
    }
    issues.push(IssueDraft {
        id: foundation.clone(),
        title: unique_title(if input.local { "Project skeleton, CI and packaging".to_owned() } else { "Project skeleton, CI and deployment pipeline".to_owned() }, &mut titles),
        summary: format!("Set up {} with builds, tests and a {} path.", internal.join(", "), if input.local { "packaging" } else { "deployment" }),
        details: "Create the repository layout for each component, a CI workflow that builds and tests them, configuration from environment variables or a settings file, and a first build anyone on the team can run.".to_owned(),
        test_strategy: "CI runs on every pull request; a smoke test starts each component.".to_owned(),
        implements: Vec::new(),
        partially_implements: Vec::new(),
        components: internal.clone(),
        depends_on: Vec::new(),
        size: IssueSize::M,
        priority: Priority::Must,
        acceptance_criteria: criteria,
    });

    let mut data_model = None;
    if let (Some(db), false) = (&db, input.entities.is_empty()) {
        let id = new_id();
        let names: Vec<&str> = input.entities.iter().map(|e| e.name.as_str()).collect();
        issues.push(IssueDraft {
            id: id.clone(),
            title: unique_title(format!("Data model: {}", names.join(", ")), &mut titles),
            summary: format!("Define and migrate the stored entities in {db}."),
            details: input
                .entities
                .iter()
                .map(|e| {
                    format!(
                        "- {}: {}",
                        e.name,
                        if e.fields.is_empty() {
                            "fields to be confirmed".to_owned()
                        } else {
                            e.fields.join(", ")
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            test_strategy: "Migration tests from an empty database; repository tests per entity."
                .to_owned(),
            implements: Vec::new(),
            partially_implements: Vec::new(),
            components: vec![db.clone(), main.clone()],
            depends_on: vec![foundation.clone()],
            size: if input.entities.len() > 4 {
                IssueSize::M
            } else {
                IssueSize::S
            },
            priority: Priority::Must,
            acceptance_criteria: input
                .entities
                .iter()
                .take(8)
                .map(|e| {
                    format!(
                        "{} records round-trip through the data layer with their fields validated",
                        e.name
                    )
                })
                .collect(),
        });
        data_model = Some(id);
    }

    // One client per integration, before the features that use it.
    let mut clients: Vec<(String, String)> = Vec::new();
    for c in arch
        .components
        .iter()
        .filter(|c| c.kind == ComponentType::ExternalIntegration)
    {
        let id = new_id();
        let integration = input.integrations.iter().find(|i| i.name == c.name);
        let caller = first_of(ComponentType::Worker).unwrap_or_else(|| main.clone());
        issues.push(IssueDraft {
            id: id.clone(),
            title: unique_title(format!("{} client: {}", c.name, c.responsibility.to_lowercase()), &mut titles),
            summary: format!("A client for {} ({}) with timeouts, retries and a local stand-in for tests.", c.name, c.responsibility),
            details: format!(
                "Contract: {}",
                integration.map_or("to be confirmed", |i| i.contract_stub.as_str())
            ),
            test_strategy: "Contract tests against a local stand-in; no test calls the live service.".to_owned(),
            implements: Vec::new(),
            partially_implements: Vec::new(),
            components: vec![c.name.clone(), caller],
            depends_on: vec![foundation.clone()],
            size: IssueSize::M,
            priority: match integration.map(|i| i.criticality) {
                Some(Criticality::High) => Priority::Must,
                Some(Criticality::Low) => Priority::Could,
                _ => Priority::Should,
            },
            acceptance_criteria: vec![
                format!("Calls to {} time out, retry transient failures and report permanent ones with a clear error", c.name),
                format!("Tests run against a local stand-in for {}, never the live service", c.name),
            ],
        });
        clients.push((c.name.clone(), id));
    }

    // Feature slices.
    let mut by_requirement: BTreeMap<String, String> = BTreeMap::new();
    let mut slice_issue: Vec<(String, String, bool)> = Vec::new(); // (group, issue id, mvp)
    let all = slices(input.requirements);
    let mut part_counts: BTreeMap<(String, bool), usize> = BTreeMap::new();
    for s in all.iter().filter(|s| !is_generic_group(&s.group)) {
        *part_counts.entry((s.group.clone(), s.mvp)).or_default() += 1;
    }
    let mut part_seen: BTreeMap<(String, bool), usize> = BTreeMap::new();
    for slice in &all {
        let id = new_id();
        let ids: Vec<String> = slice.members.iter().map(|r| r.draft.id.clone()).collect();
        let text: String = slice
            .members
            .iter()
            .map(|r| format!("{} {}", r.draft.text, r.draft.acceptance_criteria.join(" ")))
            .collect::<Vec<_>>()
            .join(" ");
        let components = touched(&text, arch);
        let mut depends = vec![foundation.clone()];
        if let (Some(dm), Some(db)) = (&data_model, &db) {
            if components.contains(db) {
                depends.push(dm.clone());
            }
        }
        for (name, client) in &clients {
            if components.contains(name) {
                depends.push(client.clone());
            }
        }
        // Stated dependencies: requirement ids, then feature names.
        for r in &slice.members {
            for after in &r.after {
                if let Some(issue) = by_requirement.get(after) {
                    depends.push(issue.clone());
                } else if let Some((_, issue, _)) = slice_issue.iter().find(|(g, _, _)| {
                    !g.is_empty()
                        && (g.eq_ignore_ascii_case(after)
                            || has_word(&g.to_lowercase(), &after.to_lowercase()))
                }) {
                    depends.push(issue.clone());
                }
            }
        }
        // A later slice builds on the MVP slice of its feature.
        if !slice.mvp {
            if let Some((_, issue, _)) = slice_issue
                .iter()
                .find(|(g, _, mvp)| *mvp && !g.is_empty() && *g == slice.group)
            {
                depends.push(issue.clone());
            }
        }
        let mut acceptance: Vec<String> = Vec::new();
        for r in &slice.members {
            let criteria = if r.draft.acceptance_criteria.is_empty() {
                derived_checks(&r.draft.id, &r.draft.text)
            } else {
                r.draft.acceptance_criteria.clone()
            };
            for c in criteria {
                if !acceptance.contains(&c) && acceptance.len() < 15 {
                    acceptance.push(c);
                }
            }
        }
        let key = (slice.group.clone(), slice.mvp);
        let seen = part_seen.entry(key.clone()).or_default();
        *seen += 1;
        let part = (part_counts.get(&key).copied().unwrap_or(1) > 1).then_some(*seen);
        let title = unique_title(slice_title(slice, part), &mut titles);
        let priority = slice
            .members
            .iter()
            .map(|r| r.draft.priority)
            .min()
            .unwrap_or_default();
        let summary = if slice.members.len() == 1 {
            format!(
                "Implements {}: {}",
                ids[0],
                cut_words(&slice.members[0].draft.text, 200)
            )
        } else {
            format!(
                "Implements {} together: they are one feature in the PRD{}.",
                ids.join(", "),
                if slice.group.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", slice.group)
                }
            )
        };
        let details = slice
            .members
            .iter()
            .map(|r| {
                format!(
                    "- {} ({}): {}",
                    r.draft.id,
                    r.draft.priority.as_str(),
                    r.draft.text
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let strategy = format!("{}.", test_strategy(&components, arch));
        for r in &slice.members {
            by_requirement.insert(r.draft.id.clone(), id.clone());
        }
        slice_issue.push((slice.group.clone(), id.clone(), slice.mvp));
        depends.sort();
        depends.dedup();
        depends.retain(|d| d != &id);
        issues.push(IssueDraft {
            id,
            title,
            summary,
            details,
            test_strategy: strategy,
            implements: ids,
            partially_implements: Vec::new(),
            components,
            depends_on: depends,
            size: size_of(slice.members.len(), 0, acceptance.len()),
            priority,
            acceptance_criteria: acceptance,
        });
    }
    chain_dependencies(&mut issues, input.chain);

    let mut nfr_criteria = Vec::new();
    match input.nfrs.data_sensitivity {
        DataSensitivity::Pii => nfr_criteria.push(
            "Personal data is encrypted at rest and in transit, and access to it is logged"
                .to_owned(),
        ),
        DataSensitivity::FinancialLike => nfr_criteria
            .push("No card data is stored; payment records are immutable and audited".to_owned()),
        DataSensitivity::None => {}
    }
    if input.nfrs.availability == Availability::High {
        nfr_criteria
            .push("Services run in at least two zones and a zone failure test passes".to_owned());
    }
    if input.nfrs.latency == Latency::Low {
        nfr_criteria.push(
            "p95 latency of the main routes is measured in CI and stays under the PRD's targets"
                .to_owned(),
        );
    }
    if !nfr_criteria.is_empty() {
        let id = new_id();
        issues.push(IssueDraft {
            id,
            title: unique_title(
                "Non-functional targets: security, availability and latency".to_owned(),
                &mut titles,
            ),
            summary: "Meet the PRD's non-functional targets and prove them with checks.".to_owned(),
            details: "Add the encryption, deployment and measurement the NFRs call for.".to_owned(),
            test_strategy: "Automated checks in CI plus one load test before release.".to_owned(),
            implements: Vec::new(),
            partially_implements: Vec::new(),
            components: internal,
            depends_on: vec![foundation],
            size: IssueSize::M,
            priority: Priority::Should,
            acceptance_criteria: nfr_criteria,
        });
    }
    let slices_count = issues.iter().filter(|i| !i.implements.is_empty()).count();
    IssuePlanDraft {
        approach: format!(
            "Foundation first, then the data model and one client per integration, then {slices_count} feature slices grouped by the PRD's own sections and ids, MVP before later phases, with the PRD's stated order as dependencies."
        ),
        issues,
        left_out: input.left_out.to_vec(),
    }
}

fn test_strategy(components: &[String], arch: &ArchitectureDraft) -> String {
    let kinds: Vec<ComponentType> = arch
        .components
        .iter()
        .filter(|c| components.contains(&c.name))
        .map(|c| c.kind)
        .collect();
    let mut parts = vec!["unit tests for the rules"];
    if kinds.contains(&ComponentType::Api) {
        parts.push("integration tests through the API or command, including invalid input");
    }
    if kinds.contains(&ComponentType::Web) {
        parts.push("a UI test of the main path");
    }
    if kinds.contains(&ComponentType::ExternalIntegration) {
        parts.push("stand-ins for external services");
    }
    parts.join(", ")
}

/// The PRD's dependency chain: each named feature's issue waits for the
/// issue of the feature before it.
fn chain_dependencies(issues: &mut [IssueDraft], chain: &[String]) {
    let mut previous: Option<String> = None;
    for step in chain {
        let words = content_words(step);
        let best = issues
            .iter()
            .filter(|i| !i.implements.is_empty())
            .map(|i| {
                let w = content_words(&format!("{} {}", i.title, i.details));
                let exact = i
                    .title
                    .eq_ignore_ascii_case(super::text::strip_numbering(step));
                (
                    w.intersection(&words).count() + usize::from(exact) * 10,
                    i.id.clone(),
                )
            })
            .filter(|(score, _)| *score >= 1)
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let Some((_, id)) = best else { continue };
        if let Some(prev) = &previous {
            // Only edges to earlier issues keep the plan acyclic.
            if prev < &id {
                if let Some(issue) = issues.iter_mut().find(|i| i.id == id) {
                    if !issue.depends_on.contains(prev) {
                        issue.depends_on.push(prev.clone());
                    }
                }
            }
        }
        previous = Some(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_checks_never_restate_the_requirement() {
        let text = "Patients can export their visit history as CSV";
        for check in derived_checks("FR-9", text) {
            assert!(!check.contains(text), "{check}");
        }
        assert!(
            derived_checks("NFR-1", "Search answers in under 200 ms")[0].contains("under 200 ms")
        );
        assert_eq!(id_family("FR1.2"), "FR1");
        assert_eq!(id_family("FR-AUTH-3"), "FR-AUTH");
        assert_eq!(feature_issue_target(40), 14);
        assert_eq!(feature_issue_target(3), 3);
    }
}
