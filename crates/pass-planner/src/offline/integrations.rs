//! External services the product integrates with: the catalogue's services
//! where the PRD names them as part of the product, plus services the PRD
//! introduces in its own words ("via X", "X API", "integrates with X").
//! Passing mentions (non-goals, competition, future ideas, "instead of X",
//! the team's own tools such as "Claude Code") are not integrations.

use std::collections::{BTreeMap, HashSet};

use pass_contracts::pack::{Criticality, Direction, Priority};

use super::catalogue::{Category, SERVICES, Service};
use super::document::{Doc, Kind};
use super::requirements::ReadRequirement;
use super::scope::{Role, line_roles};
use super::text::has_word;
use crate::sections::IntegrationDraft;

/// Phrases before a name that make the mention a comparison or an exclusion.
const PASSING_BEFORE: &[&str] = &[
    "instead of ",
    "unlike ",
    "like ",
    "similar to ",
    "alternative to ",
    "alternatives to ",
    "compared to ",
    "compared with ",
    "competitor",
    "not ",
    "no ",
    "without ",
    "replace ",
    "replacing ",
    "rather than ",
    "inspired by ",
    "such as ",
    "e.g. ",
];

/// Words after a name that make it a developer tool, not a product integration.
const TOOL_AFTER: &[&str] = &[
    " code",
    " cli",
    " desktop",
    " copilot",
    " projects",
    " artifacts",
];

/// Words that never name a service on their own in "via X" / "X API".
const NOT_NAMES: &[&str] = &[
    // Generic words that start "X API" or "via X" without naming a service
    // ("Average API response time", "Web Audio API", "YouTube Data API").
    "data",
    "audio",
    "video",
    "average",
    "search",
    "storage",
    "file",
    "files",
    "admin",
    "user",
    "users",
    "backend",
    "frontend",
    "server",
    "client",
    "main",
    "core",
    "custom",
    "health",
    "status",
    "platform",
    "service",
    "services",
    "mobile",
    "desktop",
    "browser",
    "the",
    "a",
    "an",
    "our",
    "their",
    "its",
    "this",
    "that",
    "rest",
    "http",
    "https",
    "json",
    "graphql",
    "web",
    "public",
    "internal",
    "private",
    "open",
    "third-party",
    "external",
    "native",
    "official",
    "same",
    "new",
    "existing",
    "cli",
    "ui",
    "email",
    "sms",
    "api",
    "apis",
    "websocket",
    "websockets",
    "webhook",
    "webhooks",
    "grpc",
    "sdk",
    "mcp",
    "oauth",
    "sse",
    "browser",
    "user",
    "users",
    "admin",
    "file",
    "files",
    "local",
    "simple",
    "standard",
    "direct",
    "custom",
    // Quantifiers and HTTP verbs that start "Every API call", "POST /api/…".
    "every",
    "each",
    "all",
    "any",
    "some",
    "no",
    "post",
    "get",
    "put",
    "patch",
    "delete",
];

struct Hit {
    service: Option<&'static Service>,
    name: String,
    purpose: String,
    category: Option<Category>,
    in_must: bool,
    in_requirement: bool,
    mentions: usize,
}

fn mentioned(
    lower: &str,
    original: &str,
    tokens: &HashSet<&str>,
    service: &Service,
    firsts: &[Option<String>],
) -> Option<usize> {
    let names = std::iter::once(service.name).chain(service.aliases.iter().copied());
    for (name, first) in names.zip(firsts) {
        if first.as_ref().is_some_and(|f| !tokens.contains(f.as_str())) {
            continue;
        }
        let found = if service.exact {
            find_word(original, name)
        } else {
            find_word(lower, &name.to_lowercase())
        };
        if let Some(pos) = found {
            return Some(pos);
        }
    }
    None
}

/// For each service, the lower-case first run of letters and digits of its
/// name and of each alias (none when it starts with another character). A
/// name can occur as whole words in a line only if that run is one of the
/// line's words; checking it first spares a substring search per service,
/// alias and line, which made long PRDs slow.
fn first_runs() -> Vec<Vec<Option<String>>> {
    SERVICES
        .iter()
        .map(|service| {
            std::iter::once(service.name)
                .chain(service.aliases.iter().copied())
                .map(|name| {
                    name.starts_with(char::is_alphanumeric).then(|| {
                        name.chars()
                            .take_while(|c| c.is_alphanumeric())
                            .flat_map(char::to_lowercase)
                            .collect()
                    })
                })
                .collect()
        })
        .collect()
}

/// The lower-case runs of letters and digits of `lower`.
fn tokens_of(lower: &str) -> HashSet<&str> {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Byte offset of `needle` as whole words in `haystack`.
fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = haystack.get(from..)?.find(needle) {
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
            return Some(start);
        }
        from = end;
        while from < haystack.len() && !haystack.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

fn is_passing(lower: &str, at: usize, name_len: usize) -> bool {
    let before = &lower[..at];
    let window_start = before.char_indices().rev().nth(24).map_or(0, |(i, _)| i);
    let window = &before[window_start..];
    let last_clause = window.rsplit([',', ';', '(', '.']).next().unwrap_or(window);
    if PASSING_BEFORE.iter().any(|p| last_clause.contains(p)) {
        return true;
    }
    let after = lower.get(at + name_len..).unwrap_or("");
    TOOL_AFTER.iter().any(|t| after.starts_with(t))
}

/// Phrases in which a PRD says the product talks to no outside service at
/// all. A feature PRD often names services as data ("issues from GitHub,
/// Linear or Jira") and then says it adds no external dependency: the
/// statement wins over the mentions.
const NO_INTEGRATIONS: &[&str] = &[
    "no external dependenc",
    "no external api",
    "no external integration",
    "no external service",
    "no outside service",
    "no third-party service",
    "no third party service",
    "no third-party integration",
    "no third party integration",
    "no third-party api",
    "no third party api",
    "no integrations with external",
    "without external dependencies",
    "without any external service",
    "does not integrate with any",
    "doesn't integrate with any",
    "does not depend on any external",
    "без зовнішніх залежностей",
    "без зовнішніх сервісів",
    "без внешних зависимостей",
    "без внешних сервисов",
    "외부 의존성 없",
    "외부 서비스 없",
    "외부 연동 없",
    "无外部依赖",
    "無外部依賴",
    "不依赖外部服务",
    "不依賴外部服務",
    "外部依存なし",
    "sin dependencias externas",
    "sin servicios externos",
    "sem dependências externas",
    "keine externen abhängigkeiten",
    "keine externen dienste",
    "aucune dépendance externe",
    "aucun service externe",
];

/// Words that make a "no external dependencies" sentence partial ("no
/// external services beyond Stripe") or about code libraries, not services.
const NOT_A_DENIAL: &[&str] = &[
    "beyond",
    "except",
    "other than",
    "apart from",
    "besides",
    "but ",
    "librar",
    "package",
];

/// Phrases that deny one integration: the line and the list under it name
/// services the product does not use ("Copilot does NOT integrate with:").
const NOT_INTEGRATED: &[&str] = &[
    "not integrate with",
    "n't integrate with",
    "not be integrated with",
    "not integrated with",
    "no integration with",
    "without integrating with",
];

/// Whether the PRD says the product depends on no external service.
pub fn states_no_integrations(doc: &Doc) -> bool {
    doc.lines.iter().filter(|l| l.kind != Kind::Code).any(|l| {
        let lower = l.text.to_lowercase();
        NO_INTEGRATIONS.iter().any(|phrase| {
            lower.find(phrase).is_some_and(|at| {
                let sentence_end = lower[at..]
                    .find(['.', ';', '\n'])
                    .map_or(lower.len(), |e| at + e);
                let sentence = &lower[at..sentence_end];
                !NOT_A_DENIAL.iter().any(|w| sentence.contains(w))
            })
        })
    })
}

/// For each line, whether it or a list item above it denies an integration.
fn denied_lines(doc: &Doc) -> Vec<bool> {
    let mut denied = vec![false; doc.lines.len()];
    for (i, line) in doc.lines.iter().enumerate() {
        let lower = line.text.to_lowercase();
        denied[i] = NOT_INTEGRATED.iter().any(|p| lower.contains(p))
            || line.parent.is_some_and(|p| p < i && denied[p]);
    }
    denied
}

/// Reads the integrations and returns them with questions for services the
/// requirements need but the PRD does not name.
pub fn read(
    doc: &Doc,
    title: Option<&str>,
    requirements: &[ReadRequirement],
) -> (Vec<IntegrationDraft>, Vec<String>) {
    let mut hits: BTreeMap<String, Hit> = BTreeMap::new();
    let must_text: String = requirements
        .iter()
        .filter(|r| r.draft.priority == Priority::Must)
        .map(|r| format!("{} {}", r.draft.text, r.draft.acceptance_criteria.join(" ")))
        .collect::<Vec<_>>()
        .join("\n");
    let any_text: String = requirements
        .iter()
        .map(|r| format!("{} {}", r.draft.text, r.draft.acceptance_criteria.join(" ")))
        .collect::<Vec<_>>()
        .join("\n");
    if states_no_integrations(doc) {
        return (Vec::new(), Vec::new());
    }
    let roles = line_roles(doc, title);
    let denied = denied_lines(doc);
    let firsts = first_runs();
    for ((line, role), denied) in doc.lines.iter().zip(roles).zip(denied) {
        if denied || line.kind == Kind::Code || line.is_heading() && line.level() != Some(7) {
            continue;
        }
        if role.is_passing_mention() || is_future_label(doc, line) {
            continue;
        }
        let original = line.text.as_str();
        let lower = original.to_lowercase();
        if lower.len() != original.len() {
            // Offsets must agree between the two spellings; scan the lower form only.
            scan_catalogue(&lower, &lower, &firsts, &mut hits, true);
        } else {
            scan_catalogue(&lower, original, &firsts, &mut hits, false);
        }
        if !matches!(role, Role::Technical | Role::Quality) || lower.contains("integrat") {
            scan_phrasing(original, &mut hits);
        }
    }
    let mut out = Vec::new();
    for (_, mut hit) in hits {
        let service_names: Vec<String> = match hit.service {
            Some(s) => std::iter::once(s.name)
                .chain(s.aliases.iter().copied())
                .map(str::to_lowercase)
                .collect(),
            None => vec![hit.name.to_lowercase()],
        };
        let in_text = |text: &str| {
            let lower = text.to_lowercase();
            service_names.iter().any(|n| has_word(&lower, n))
        };
        hit.in_must = in_text(&must_text);
        hit.in_requirement = in_text(&any_text);
        let criticality = if hit.in_must {
            Criticality::High
        } else if hit.in_requirement || hit.mentions >= 2 {
            Criticality::Medium
        } else {
            Criticality::Low
        };
        let direction = match hit.category {
            Some(
                Category::Payments | Category::Messaging | Category::SmsVoice | Category::Jobs,
            ) => Direction::Both,
            _ => Direction::Outbound,
        };
        out.push(IntegrationDraft {
            name: hit.name,
            purpose: hit.purpose,
            direction,
            criticality,
            contract_stub: hit
                .category
                .map(|c| c.stub().to_owned())
                .unwrap_or_else(|| "HTTPS API calls; the calls are to be confirmed against the provider's documentation".to_owned()),
        });
    }
    // Most important first, then by name for a stable order.
    out.sort_by(|a, b| {
        rank(b.criticality)
            .cmp(&rank(a.criticality))
            .then(a.name.cmp(&b.name))
    });
    let questions = missing_providers(&any_text, &out);
    (out, questions)
}

fn rank(c: Criticality) -> u8 {
    match c {
        Criticality::High => 2,
        Criticality::Medium => 1,
        Criticality::Low => 0,
    }
}

/// A list under a "Future" / "Later" label in an otherwise planned section.
fn is_future_label(doc: &Doc, line: &super::document::Line) -> bool {
    let mut parent = line.parent;
    while let Some(p) = parent {
        let l = doc.lines[p].text.to_lowercase();
        if l.starts_with("future")
            || l.starts_with("later")
            || l.contains("out of scope")
            || l.contains("non-goal")
        {
            return true;
        }
        parent = doc.lines[p].parent;
    }
    false
}

fn scan_catalogue(
    lower: &str,
    original: &str,
    firsts: &[Vec<Option<String>>],
    hits: &mut BTreeMap<String, Hit>,
    lower_only: bool,
) {
    let tokens = tokens_of(lower);
    for (service, first) in SERVICES.iter().zip(firsts) {
        if service.exact && lower_only {
            continue;
        }
        let Some(at) = mentioned(lower, original, &tokens, service, first) else {
            continue;
        };
        let len = service.name.len().min(lower.len().saturating_sub(at));
        if is_passing(lower, at, len) {
            continue;
        }
        let hit = hits.entry(service.name.to_owned()).or_insert_with(|| Hit {
            service: Some(service),
            name: service.name.to_owned(),
            purpose: format!("{} ({})", service.purpose, service.category.as_str()),
            category: Some(service.category),
            in_must: false,
            in_requirement: false,
            mentions: 0,
        });
        hit.mentions += 1;
    }
}

/// Services the PRD introduces in its own words: "via Acme", "the Acme API",
/// "integrates with Acme", "integration with Acme".
fn scan_phrasing(text: &str, hits: &mut BTreeMap<String, Hit>) {
    let lower = text.to_lowercase();
    let mut names: Vec<String> = Vec::new();
    for marker in [
        "via ",
        "integrates with ",
        "integration with ",
        "integrate with ",
        "connects to ",
        "synced with ",
        "sync with ",
    ] {
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|l| l.find(marker)) {
            let start = from + pos + marker.len();
            if let Some(name) = capitalised_run(text, start) {
                // "via SearchTrackables screen": a part of the product.
                let after = text
                    .get(start + name.len()..)
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(|w| {
                        w.trim_matches(|c: char| !c.is_alphanumeric())
                            .to_lowercase()
                    })
                    .unwrap_or_default();
                let product_part = [
                    "screen",
                    "page",
                    "view",
                    "modal",
                    "tab",
                    "button",
                    "component",
                    "context",
                    "menu",
                    "form",
                    "dialog",
                    "panel",
                    "flow",
                    "hook",
                    "store",
                    "module",
                ]
                .contains(&after.as_str());
                if !product_part {
                    names.push(name);
                }
            }
            from = start;
        }
    }
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|l| l.find(" api")) {
        let end = from + pos;
        if let Some(name) = capitalised_run_before(text, end) {
            names.push(name);
        }
        from = end + 4;
    }
    for name in names {
        let key_lower = name.to_lowercase();
        if NOT_NAMES.contains(&key_lower.as_str()) || name.len() < 3 {
            continue;
        }
        if let Some(service) = SERVICES.iter().find(|s| {
            s.name.eq_ignore_ascii_case(&name)
                || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(&name))
        }) {
            if let Some(hit) = hits.get_mut(service.name) {
                hit.mentions += 1;
            }
            continue;
        }
        let hit = hits.entry(name.clone()).or_insert_with(|| Hit {
            service: None,
            name: name.clone(),
            purpose: format!("{name} as the PRD names it; what is exchanged is to be confirmed"),
            category: None,
            in_must: false,
            in_requirement: false,
            mentions: 0,
        });
        hit.mentions += 1;
    }
}

/// One to three capitalised words starting at `start` ("Acme Cloud").
fn capitalised_run(text: &str, start: usize) -> Option<String> {
    let rest = text.get(start..)?;
    let mut words = Vec::new();
    for word in rest.split_whitespace().take(3) {
        let clean = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '-');
        let clean = clean.trim_end_matches('.');
        if clean.chars().next().is_some_and(char::is_uppercase)
            && !NOT_NAMES.contains(&clean.to_lowercase().as_str())
        {
            words.push(clean.to_owned());
            if word.ends_with([',', '.', ';', ')', ':']) {
                break;
            }
        } else {
            break;
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// The capitalised word just before `end` ("Acme" in "the Acme API").
fn capitalised_run_before(text: &str, end: usize) -> Option<String> {
    let before = text.get(..end)?;
    let word = before.split_whitespace().next_back()?;
    let clean = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '-');
    (clean.chars().next().is_some_and(char::is_uppercase)
        && !NOT_NAMES.contains(&clean.to_lowercase().as_str()))
    .then(|| clean.to_owned())
}

/// Questions for kinds of service the requirements need without naming one.
fn missing_providers(requirements_text: &str, found: &[IntegrationDraft]) -> Vec<String> {
    let lower = requirements_text.to_lowercase();
    let has_category = |category: Category| {
        found.iter().any(|i| {
            SERVICES
                .iter()
                .any(|s| s.name == i.name && s.category == category)
        })
    };
    let mut out = Vec::new();
    for (category, words, question) in [
        (
            Category::Payments,
            &[
                "pay by card",
                "payment",
                "payments",
                "checkout",
                "subscription billing",
            ][..],
            "The requirements take payments but name no payment provider: which one?",
        ),
        (
            Category::Email,
            &[
                "send an email",
                "sends an email",
                "email notification",
                "confirmation email",
                "reminder email",
                "emails are sent",
            ][..],
            "The requirements send email but name no email provider: which one?",
        ),
        (
            Category::SmsVoice,
            &["sms", "text message"][..],
            "The requirements send SMS but name no SMS provider: which one?",
        ),
    ] {
        if words.iter().any(|w| has_word(&lower, w)) && !has_category(category) {
            out.push(question.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::document::{Doc, normalise};

    fn names(prd: &str) -> Vec<String> {
        let doc = Doc::parse(&normalise(prd));
        read(&doc, None, &[])
            .0
            .into_iter()
            .map(|i| i.name)
            .collect()
    }

    #[test]
    fn named_services_and_own_phrasing_count_passing_mentions_do_not() {
        let found = names(
            "# Desk\n\n## Features\n\n- Replies arrive via WhatsApp and are voiced by ElevenLabs\n- Orders sync with Acme Ledger\n- Uses the Kestrel API for rates\n- Runs jobs on Inngest\n\n## Non-goals\n\n- Payments through Stripe\n\n## Competition\n\n- Like Calendly, but simpler\n",
        );
        for name in [
            "WhatsApp",
            "ElevenLabs",
            "Acme Ledger",
            "Kestrel",
            "Inngest",
        ] {
            assert!(
                found.contains(&name.to_owned()),
                "{name} missing from {found:?}"
            );
        }
        for name in ["Stripe", "Calendly"] {
            assert!(!found.contains(&name.to_owned()), "{name} in {found:?}");
        }
        let tools =
            names("# Dev\n\n## Features\n\n- Run Claude Code CLI on each task instead of Jira\n");
        assert!(tools.is_empty(), "{tools:?}");
    }

    #[test]
    fn a_denied_integration_and_the_list_under_it_are_not_planned() {
        let found = names(
            "# Desk\n\n## Features\n\n- Sends receipts via Postmark\n\n## Integrations\n\nDesk does not integrate with:\n\n- Zendesk or Freshdesk\n- Salesforce\n",
        );
        assert_eq!(found, ["Postmark"]);
        // A statement about the whole product wins over any mention.
        let none = names(
            "# Desk\n\n## Features\n\n- Shows which Zendesk ticket a note came from\n\n## Dependencies\n\nNo external service integrations are needed.\n",
        );
        assert!(none.is_empty(), "{none:?}");
        // A partial statement is not a denial.
        let partial = names(
            "# Desk\n\n## Features\n\n- Sends receipts via Postmark\n\n## Dependencies\n\nNo external services beyond Postmark.\n",
        );
        assert_eq!(partial, ["Postmark"]);
    }
}
