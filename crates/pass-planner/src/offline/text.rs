//! Word-level helpers the reader's parts share: whole-word search, template
//! placeholders, sentence case and short titles.

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

pub fn any_word(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| has_word(haystack, n))
}

/// Template text: `<describe ...>`, `[Feature name]`, lorem ipsum, TBD/TODO.
pub fn looks_templated(text: &str) -> bool {
    let lower = text.to_lowercase();
    let bracketed = |open: char, close: char| {
        text.find(open)
            .and_then(|a| text[a..].find(close).map(|b| b > 1))
            .unwrap_or(false)
    };
    // A template prompt whose closing bracket is lines further down.
    let unclosed = text.trim_start().starts_with('[') && !text.contains(']');
    // `{{ slot }}`: the slots of Mustache-style and Jinja-style templates.
    let double_braced = text.find("{{").is_some_and(|at| text[at..].contains("}}"));
    unclosed
        || double_braced
        || bracketed('<', '>')
            && !text.contains("</")
            && !text.contains("/>")
            && !text.contains('`')
        || (bracketed('[', ']') && !text.contains("](") && !text.contains('`'))
        || any_word(&lower, &["lorem", "tbd", "xxx", "placeholder"])
        || text.contains("TODO")
        || lower.contains("describe the")
        || lower.contains("feature name")
        || lower.contains("insert ")
}

/// An unfilled template slot: bracketed prompts or no words of its own.
pub fn is_placeholder(text: &str) -> bool {
    let mut outside = String::new();
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '<' | '[' | '{' => depth += 1,
            '>' | ']' | '}' => depth -= 1,
            _ if depth <= 0 => outside.push(c),
            _ => {}
        }
    }
    let words = outside
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    let trimmed = text.trim().trim_end_matches('.');
    // A sentence frame around `{{ slots }}` ("As a {{ROLE}}, I want to
    // {{ACTION}}, so that {{OUTCOME}}") is still only a frame; a real line
    // that quotes a template variable has words of its own around it.
    let double_braced = text.find("{{").is_some_and(|at| text[at..].contains("}}"));
    words == 0
        || (double_braced && words < 8)
        || (looks_templated(text) && words < 4)
        || trimmed == "..."
        || trimmed == "…"
        || trimmed.eq_ignore_ascii_case("tbd")
}

pub fn sentence_case(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

pub fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().collect::<String>() + chars.as_str()
        }
        Some(c) => c.to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Up to `max_sentences` sentences of `text`, at most `max_chars` long.
pub fn first_sentences(text: &str, max_sentences: usize, max_chars: usize) -> String {
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
    cut_words(&text[..end], max_chars)
}

/// `text` cut at a word boundary to at most `max` characters, with `…` when
/// cut, and never ending on a joining word ("and", "or", "the").
pub fn cut_words(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut words: Vec<&str> = Vec::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let add = word.chars().count() + usize::from(!words.is_empty());
        if len + add + 1 > max {
            break;
        }
        len += add;
        words.push(word);
    }
    while words.last().is_some_and(|w| {
        let w = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        JOINING_WORDS.contains(&w.as_str())
    }) {
        words.pop();
    }
    if words.is_empty() {
        return text.chars().take(max.saturating_sub(1)).collect::<String>() + "…";
    }
    let mut out = words.join(" ");
    out = out
        .trim_end_matches([',', ';', ':', '-', '–', '('])
        .to_owned();
    out.push('…');
    out
}

const JOINING_WORDS: &[&str] = &[
    "and", "or", "the", "a", "an", "of", "to", "for", "with", "in", "on", "by", "from", "as",
    "that", "which", "into", "at", "via", "its", "their",
];

/// A heading without its numbering ("2.", "1.1", "Phase 2:" stays).
pub fn strip_numbering(text: &str) -> &str {
    let t = text.trim();
    let digits = t
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    if digits > 0 && t[digits..].starts_with([' ', ')']) {
        t[digits..].trim_start_matches([')', ' ']).trim()
    } else {
        t
    }
}

/// Lower-case words of at least three letters, plural `s` dropped, common
/// words left out: what two texts share when they are about the same thing.
pub fn content_words(text: &str) -> std::collections::BTreeSet<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| (w.chars().count() >= 3 || *w == "ui") && !COMMON_WORDS.contains(w))
        .map(|w| {
            if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                w[..w.len() - 1].to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect()
}

const COMMON_WORDS: &[&str] = &[
    "the", "and", "for", "with", "from", "into", "that", "this", "are", "can", "have", "has",
    "want", "when", "then", "all", "any", "each", "its", "their", "was", "will", "should", "must",
    "could", "see", "able", "also", "via", "per", "not", "only", "within", "between", "without",
    "they", "them", "our", "your", "you", "who", "which", "what", "how", "get", "user", "users",
    "system", "shall", "allow", "support", "provide", "new", "use",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only() {
        assert!(has_word("we use stripe.", "stripe"));
        assert!(!has_word("striped shirts", "stripe"));
        assert!(has_word("claude-code runs", "claude"));
        assert!(!has_word("ux for émails", "mails"));
    }

    #[test]
    fn cuts_at_words_without_a_dangling_joiner() {
        let cut = cut_words("System shall support import and export of every board", 30);
        assert_eq!(cut, "System shall support import…");
        assert!(cut.chars().count() <= 30);
        assert_eq!(strip_numbering("2. Kanban Board"), "Kanban Board");
        assert_eq!(strip_numbering("1.1 Features"), "Features");
        assert_eq!(strip_numbering("2FA login"), "2FA login");
    }

    #[test]
    fn placeholders_are_slots_not_words() {
        assert!(is_placeholder("<describe the requirement>"));
        assert!(is_placeholder("[Feature name]"));
        assert!(is_placeholder("TBD"));
        assert!(!is_placeholder("Export"));
        assert!(!is_placeholder("Run `pass plan <file>` offline"));
    }
}
