//! Requirement ids, priorities and status marks as PRDs write them, in any
//! id scheme (`FR1.2`, `REQ-012`, `US-O01`, `A1`, `R-001`, `FR-AUTH-3`) and
//! the usual priority vocabularies (P0–P3, Critical/High/Medium/Low, MoSCoW).

use pass_contracts::pack::Priority;

/// Prefixes that look like ids but name versions, protocols, standards or
/// HTTP codes (`V2`, `HTTP2`, `ISO-27001`, `P95`).
const NOT_ID_PREFIXES: &[&str] = &[
    "V", "H", "HTTP", "HTTPS", "ISO", "UTF", "SHA", "MD", "ES", "IPV", "OAUTH", "TLS", "SSL",
    "HTML", "CSS", "API", "JSON", "AWS", "GCP", "X", "Y", "Z", "ID", "UUID", "TO", "GPT", "Q",
    "PHASE", "STEP", "WEEK", "DAY", "SPRINT", "MVP", "CVE", "RFC", "WCAG", "SOC", "PCI", "GDPR",
    "HIPAA", "AES", "RSA", "MP", "PNG", "JPG", "K", "M", "G", "T", "N", "E", "S",
];

/// Whether `prefix` may start a requirement id.
fn id_prefix_allowed(prefix: &str, has_separator: bool) -> bool {
    if NOT_ID_PREFIXES.contains(&prefix) {
        return false;
    }
    // P0..P3 are priorities, not ids, unless written P-001.
    prefix != "P" || has_separator
}

/// A leading requirement id and the text after it (possibly empty: an id
/// alone on its line). Leading emphasis, brackets and `#` are skipped.
pub fn leading_id(text: &str) -> Option<(String, &str)> {
    let t = text.trim_start_matches(['*', '`', '[', '_', ' ', '#', '(']);
    let bytes = t.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || letters > 6 {
        return None;
    }
    let mut i = letters;
    let mut separated = false;
    // An optional word segment: FR-AUTH-3.
    if i < bytes.len() && matches!(bytes[i], b'-' | b'_') {
        let word = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase())
            .count();
        let after = i + 1 + word;
        if (2..=10).contains(&word)
            && after + 1 < bytes.len()
            && matches!(bytes[after], b'-' | b'_')
            && bytes[after + 1].is_ascii_digit()
        {
            i = after;
        }
    }
    if i < bytes.len() && matches!(bytes[i], b'-' | b'_' | b'.') {
        i += 1;
        separated = true;
    }
    // One letter before the number (`US-O01`) is part of it.
    if separated
        && i + 1 < bytes.len()
        && bytes[i].is_ascii_uppercase()
        && bytes[i + 1].is_ascii_digit()
    {
        i += 1;
    }
    let digits_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start || i - digits_start > 5 {
        return None;
    }
    while i + 1 < bytes.len() && matches!(bytes[i], b'.' | b'-') && bytes[i + 1].is_ascii_digit() {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    // A lower-case suffix letter (`FR-12a`).
    if i < bytes.len()
        && bytes[i].is_ascii_lowercase()
        && !bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
    {
        i += 1;
    }
    if i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'%') {
        return None;
    }
    if !id_prefix_allowed(&t[..letters], separated) {
        return None;
    }
    // "A 2-step flow" or "R 2": a lone capital followed by a space is prose.
    let id = t[..i].trim_end_matches(['.', '-']).to_owned();
    let rest = &t[i..];
    if rest.starts_with(['/', ',', '+', '×', 'x']) {
        return None;
    }
    let rest = rest
        .trim_start_matches([
            '*', '`', ']', '_', ':', '-', '–', '—', ')', '.', '|', ' ', '#',
        ])
        .trim();
    Some((id, rest))
}

/// Priority words in a label, heading or cell. `Err(())` marks won't-have,
/// out-of-scope and non-goal labels.
pub fn priority_label(text: &str) -> Option<Result<Priority, ()>> {
    let l = text.to_lowercase();
    let l = l.trim().trim_matches(|c: char| !c.is_alphanumeric()).trim();
    if l.contains("won't")
        || l.contains("wont have")
        || l.contains("will not have")
        || l.contains("out of scope")
        || l.contains("out-of-scope")
        || l.contains("non-goal")
        || l.contains("non goal")
        || l.contains("not in scope")
    {
        return Some(Err(()));
    }
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    if has("must") || has("p0") || l.contains("must-have") || has("critical") || has("blocker") {
        return Some(Ok(Priority::Must));
    }
    if has("should") || has("p1") || l.contains("should-have") {
        return Some(Ok(Priority::Should));
    }
    if has("could")
        || has("p2")
        || has("p3")
        || has("p4")
        || l.contains("nice to have")
        || l.contains("nice-to-have")
        || l.contains("could-have")
    {
        return Some(Ok(Priority::Could));
    }
    // A bare level word is a priority only when it is (nearly) the whole label.
    if words.len() <= 3 {
        if has("high") || has("highest") || has("required") || has("mandatory") {
            return Some(Ok(Priority::Must));
        }
        if has("medium") || has("normal") || has("moderate") {
            return Some(Ok(Priority::Should));
        }
        if has("low") || has("lowest") || has("optional") || has("minor") {
            return Some(Ok(Priority::Could));
        }
    }
    None
}

/// Priority a requirement sentence states about itself ("P1", "(Should)",
/// "[High]", "Priority: Medium").
pub fn inline_priority(text: &str) -> Option<Priority> {
    let lower = text.to_lowercase();
    if let Some(pos) = lower.find("priority") {
        let rest = lower[pos + "priority".len()..].trim_start_matches([':', ' ', '-', '*', '=']);
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == ' ')
            .take(14)
            .collect();
        if let Some(Ok(p)) = priority_label(word.trim()) {
            return Some(p);
        }
    }
    for (open, close) in [('(', ')'), ('[', ']')] {
        let mut from = 0;
        while let Some(a) = lower[from..].find(open) {
            let start = from + a + 1;
            let Some(b) = lower[start..].find(close) else {
                break;
            };
            let inner = &lower[start..start + b];
            if inner.split_whitespace().count() <= 2 {
                if let Some(Ok(p)) = priority_label(inner) {
                    return Some(p);
                }
            }
            from = start + b;
        }
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&"p0") {
        Some(Priority::Must)
    } else if words.contains(&"p1") {
        Some(Priority::Should)
    } else if words.contains(&"p2") || words.contains(&"p3") {
        Some(Priority::Could)
    } else {
        None
    }
}

/// Priority implied by the requirement's modal verb (`shall`/`must` versus
/// `should`/`may`), the weakest evidence.
pub fn modal_priority(text: &str) -> Option<Priority> {
    let lower = format!(" {} ", text.to_lowercase());
    if [" must ", " shall ", " is required ", " will "]
        .iter()
        .any(|w| lower.contains(w))
    {
        Some(Priority::Must)
    } else if lower.contains(" should ") {
        Some(Priority::Should)
    } else if [" may ", " could ", " optionally ", " nice to have"]
        .iter()
        .any(|w| lower.contains(w))
    {
        Some(Priority::Could)
    } else {
        None
    }
}

/// Whether a status cell or mark says the item already exists.
pub fn is_done_status(text: &str) -> bool {
    let l = text.trim().to_lowercase();
    if l.is_empty() {
        return false;
    }
    if l.contains('✅') || l.contains('✔') || l.contains("☑") {
        return true;
    }
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| matches!(*w, "not" | "partially" | "partial" | "todo" | "pending"))
    {
        return false;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "done"
                | "shipped"
                | "implemented"
                | "complete"
                | "completed"
                | "released"
                | "live"
                | "delivered"
                | "finished"
        )
    })
}

/// Whether a status cell or mark says the item was taken out of the release
/// (removed, dropped, cancelled, descoped): a release-candidate table keeps
/// such rows for the record, and they are not work to plan. A bare ❌ is not
/// enough: backlogs use it for "not done yet".
pub fn is_dropped_status(text: &str) -> bool {
    let l = text.trim().to_lowercase();
    l.contains("won't do")
        || l.contains("wont do")
        || l.contains("won't fix")
        || l.contains("out of scope")
        || l.split(|c: char| !c.is_alphanumeric()).any(|w| {
            matches!(
                w,
                "removed"
                    | "dropped"
                    | "cancelled"
                    | "canceled"
                    | "descoped"
                    | "retired"
                    | "abandoned"
                    | "rejected"
                    | "obsolete"
                    | "wontfix"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_many_schemes() {
        for (text, id, rest) in [
            ("FR-001: Book a slot", "FR-001", "Book a slot"),
            ("FR1.2 Export", "FR1.2", "Export"),
            ("REQ-012 - Sync", "REQ-012", "Sync"),
            ("US-O01 As a guest", "US-O01", "As a guest"),
            ("A1. Sign in", "A1", "Sign in"),
            ("R-001", "R-001", ""),
            ("**FR-AUTH-3**: Reset", "FR-AUTH-3", "Reset"),
            ("[WF-12] Poll", "WF-12", "Poll"),
            ("FR-12a: Retry", "FR-12a", "Retry"),
        ] {
            assert_eq!(leading_id(text), Some((id.to_owned(), rest)), "{text}");
        }
        for text in [
            "P0 feature",
            "HTTP2 support",
            "V2 of the app",
            "ISO 27001",
            "Q3 launch",
            "A 2-step flow",
            "I want",
            "MVP1 scope",
            "3D view",
            "S3 bucket",
            "P95 latency",
        ] {
            assert_eq!(leading_id(text), None, "{text}");
        }
    }

    #[test]
    fn priorities_in_every_vocabulary() {
        assert_eq!(priority_label("Must Have"), Some(Ok(Priority::Must)));
        assert_eq!(priority_label("P1"), Some(Ok(Priority::Should)));
        assert_eq!(priority_label("Medium"), Some(Ok(Priority::Should)));
        assert_eq!(priority_label("Low"), Some(Ok(Priority::Could)));
        assert_eq!(priority_label("Critical"), Some(Ok(Priority::Must)));
        assert_eq!(priority_label("Won't have (this time)"), Some(Err(())));
        assert_eq!(priority_label("Low-latency sync of every device"), None);
        assert_eq!(
            inline_priority("Export CSV. Priority: Medium"),
            Some(Priority::Should)
        );
        assert_eq!(
            inline_priority("Slack summary (Should)"),
            Some(Priority::Should)
        );
        assert_eq!(
            inline_priority("[High] Reset password"),
            Some(Priority::Must)
        );
        assert_eq!(
            modal_priority("The app shall work offline"),
            Some(Priority::Must)
        );
        assert!(is_done_status("✅ Done"));
        assert!(is_done_status("Shipped in 1.2"));
        assert!(!is_done_status("Not started"));
        assert!(!is_done_status("⚠️ Partial"));
        assert!(is_dropped_status("❌ **Removed 2026-03-02**"));
        assert!(is_dropped_status("Descoped"));
        assert!(is_dropped_status("won't do"));
        assert!(!is_dropped_status("❌"));
        assert!(!is_dropped_status("⏳ Pending"));
    }
}
