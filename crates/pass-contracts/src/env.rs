//! How every PASS binary reads its settings from the environment (or `.env`,
//! or a map in tests): a value is trimmed and an empty one counts as unset;
//! a named choice matches whatever its case.

/// A setting named `name` through `lookup`, trimmed; `None` when unset or blank.
pub fn setting(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A value that is none of a setting's choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?} is not one of {}", expected.join(", "))]
pub struct UnknownChoice {
    pub name: &'static str,
    pub value: String,
    pub expected: Vec<&'static str>,
}

/// The choice `value` names, compared without regard to case.
pub fn choice<T: Copy>(
    name: &'static str,
    value: &str,
    choices: &[(&'static str, T)],
) -> Result<T, UnknownChoice> {
    choices
        .iter()
        .find(|(spelling, _)| spelling.eq_ignore_ascii_case(value.trim()))
        .map(|(_, choice)| *choice)
        .ok_or_else(|| UnknownChoice {
            name,
            value: value.to_owned(),
            expected: choices.iter().map(|(spelling, _)| *spelling).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset_and_values_are_trimmed() {
        let lookup = |name: &str| match name {
            "BLANK" => Some("  ".to_owned()),
            "SET" => Some(" x ".to_owned()),
            _ => None,
        };
        assert_eq!(setting(&lookup, "BLANK"), None);
        assert_eq!(setting(&lookup, "MISSING"), None);
        assert_eq!(setting(&lookup, "SET").as_deref(), Some("x"));
    }

    #[test]
    fn choices_ignore_case_and_list_the_spellings_when_wrong() {
        let choices = [("local", 1), ("github_actions", 2)];
        assert_eq!(choice("BACKEND", "GitHub_Actions", &choices), Ok(2));
        let error = choice("BACKEND", "cloud", &choices).unwrap_err();
        assert_eq!(
            error.to_string(),
            "BACKEND=\"cloud\" is not one of local, github_actions"
        );
    }
}
