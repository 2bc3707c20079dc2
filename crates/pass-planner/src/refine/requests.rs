//! Reading what a person asks for in their own words: the few shapes the
//! offline planner applies by itself. Anything else is kept as written and
//! reported as not applied.

/// One change read from a request or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace a technology everywhere the plan names it: "use X instead of Y".
    Swap { from: String, to: String },
    /// Put a technology in a slot of the architecture: "use X for the database".
    Slot { slot: Slot, tech: String },
    /// Remove a requirement or component by id or name.
    Drop { what: String },
    /// Keep something, but out of the first release: "drop X from the MVP".
    Defer { what: String },
    /// A new requirement in the person's words.
    Add { requirement: String },
}

/// A place in the architecture a technology fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Database,
    Queue,
    Cache,
    Web,
    Api,
    Auth,
}

impl Slot {
    /// The slot a phrase such as "the database" or "auth" names.
    pub fn from_phrase(phrase: &str) -> Option<Slot> {
        let words: Vec<&str> = phrase
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |w: &str| words.iter().any(|x| x.eq_ignore_ascii_case(w));
        if has("database") || has("db") || has("storage") || has("persistence") || has("store") {
            Some(Slot::Database)
        } else if has("queue") || has("jobs") || has("messaging") {
            Some(Slot::Queue)
        } else if has("cache") || has("caching") {
            Some(Slot::Cache)
        } else if has("frontend") || has("front") || has("web") || has("ui") {
            Some(Slot::Web)
        } else if has("api") || has("backend") || has("server") {
            Some(Slot::Api)
        } else if has("auth") || has("authentication") || has("login") || has("identity") {
            Some(Slot::Auth)
        } else {
            None
        }
    }
}

/// The sentences of a request, each read on its own.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ';'])
        .flat_map(|line| line.split(". "))
        .map(|s| s.trim().trim_end_matches(['.', '!']).trim())
        .filter(|s| !s.is_empty())
}

/// A name as written, without articles, quotes or trailing punctuation.
fn name(text: &str) -> String {
    let text = text
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '`');
    let lower = text.to_lowercase();
    let text = ["the ", "a ", "an "]
        .iter()
        .find_map(|article| lower.starts_with(article).then(|| &text[article.len()..]))
        .unwrap_or(text);
    text.trim()
        .trim_end_matches(['.', ',', '!', '?', ')', '"', '\''])
        .trim()
        .to_owned()
}

/// `text` after the first of `prefixes` (case ignored), if it starts with one.
fn after_prefix<'a>(text: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    let lower = text.to_lowercase();
    prefixes
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| text[p.len()..].trim())
}

/// Splits `text` at the first `separator` (case ignored).
fn split_once_ci<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let index = text.to_lowercase().find(separator)?;
    Some((&text[..index], &text[index + separator.len()..]))
}

/// Reads one sentence.
fn read_sentence(sentence: &str) -> Option<Edit> {
    if let Some(rest) = after_prefix(
        sentence,
        &[
            "add a requirement:",
            "add a requirement that",
            "add requirement:",
            "add a requirement",
            "add requirement",
            "new requirement:",
            "requirement:",
        ],
    ) {
        let requirement = rest.trim_start_matches(':').trim();
        return (!requirement.is_empty()).then(|| Edit::Add {
            requirement: requirement.to_owned(),
        });
    }
    for verb in ["replace ", "swap "] {
        if let Some(rest) = after_prefix(sentence, &[verb]) {
            if let Some((from, to)) = split_once_ci(rest, " with ") {
                return swap(from, to);
            }
        }
    }
    for verb in [
        "switch from ",
        "move from ",
        "migrate from ",
        "change from ",
        "go from ",
    ] {
        if let Some(rest) = after_prefix(sentence, &[verb]) {
            if let Some((from, to)) = split_once_ci(rest, " to ") {
                return swap(from, to);
            }
        }
    }
    if let Some((to, from)) = split_once_ci(sentence, " instead of ") {
        let to = after_prefix(to, &["use ", "let's use ", "we use ", "prefer "]).unwrap_or(to);
        return swap(from, to);
    }
    if let Some(rest) = after_prefix(
        sentence,
        &["drop ", "remove ", "delete ", "cut ", "leave out ", "no "],
    ) {
        if let Some((what, _)) = split_once_ci(rest, " from the mvp")
            .or_else(|| split_once_ci(rest, " from mvp"))
            .or_else(|| split_once_ci(rest, " from the first release"))
        {
            return Some(Edit::Defer { what: name(what) });
        }
        let what = name(rest);
        return (!what.is_empty()).then_some(Edit::Drop { what });
    }
    if let Some((tech, slot)) = split_once_ci(sentence, " for the ")
        .or_else(|| split_once_ci(sentence, " for "))
        .or_else(|| split_once_ci(sentence, " as the "))
    {
        let tech = after_prefix(tech, &["use ", "let's use ", "we use "]).unwrap_or(tech);
        if let Some(slot) = Slot::from_phrase(slot) {
            let tech = name(tech);
            return (!tech.is_empty()).then_some(Edit::Slot { slot, tech });
        }
    }
    if let Some(rest) = after_prefix(
        sentence,
        &["store data in ", "store the data in ", "persist data in "],
    ) {
        let tech = name(rest);
        return (!tech.is_empty()).then_some(Edit::Slot {
            slot: Slot::Database,
            tech,
        });
    }
    None
}

fn swap(from: &str, to: &str) -> Option<Edit> {
    let (from, to) = (name(from), name(to));
    (!from.is_empty() && !to.is_empty() && !from.eq_ignore_ascii_case(&to))
        .then_some(Edit::Swap { from, to })
}

/// Every change read from a request, and the sentences that matched none.
pub fn read_request(text: &str) -> (Vec<Edit>, Vec<String>) {
    let mut edits = Vec::new();
    let mut unread = Vec::new();
    for (sentence, edit) in read_sentences(text) {
        match edit {
            Some(edit) => edits.push(edit),
            None => unread.push(sentence.to_owned()),
        }
    }
    (edits, unread)
}

/// Each sentence of a request with the change read from it, if any.
pub fn read_sentences(text: &str) -> Vec<(&str, Option<Edit>)> {
    sentences(text)
        .map(|sentence| (sentence, read_sentence(sentence)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Edit {
        let (edits, unread) = read_request(text);
        assert!(unread.is_empty(), "{unread:?}");
        assert_eq!(edits.len(), 1, "{edits:?}");
        edits.into_iter().next().unwrap()
    }

    #[test]
    fn swaps_are_read_in_their_usual_phrasings() {
        let sqlite = Edit::Swap {
            from: "PostgreSQL".to_owned(),
            to: "SQLite".to_owned(),
        };
        assert_eq!(one("Use SQLite instead of PostgreSQL"), sqlite);
        assert_eq!(one("replace PostgreSQL with SQLite."), sqlite);
        assert_eq!(one("Switch from PostgreSQL to SQLite"), sqlite);
        assert_eq!(one("SQLite instead of the PostgreSQL"), sqlite);
    }

    #[test]
    fn slots_drops_deferrals_and_additions_are_read() {
        assert_eq!(
            one("Use SQLite for the database"),
            Edit::Slot {
                slot: Slot::Database,
                tech: "SQLite".to_owned()
            }
        );
        assert_eq!(
            one("Redis as the cache"),
            Edit::Slot {
                slot: Slot::Cache,
                tech: "Redis".to_owned()
            }
        );
        assert_eq!(
            one("drop the mobile app from the MVP"),
            Edit::Defer {
                what: "mobile app".to_owned()
            }
        );
        assert_eq!(
            one("Remove REQ-004"),
            Edit::Drop {
                what: "REQ-004".to_owned()
            }
        );
        assert_eq!(
            one("Add a requirement: members export the pantry as CSV"),
            Edit::Add {
                requirement: "members export the pantry as CSV".to_owned()
            }
        );
    }

    #[test]
    fn anything_else_is_kept_unread_sentence_by_sentence() {
        let (edits, unread) =
            read_request("Use SQLite instead of PostgreSQL. Make it feel friendlier; be quick");
        assert_eq!(edits.len(), 1);
        assert_eq!(unread, vec!["Make it feel friendlier", "be quick"]);
    }
}
