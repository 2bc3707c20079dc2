//! Where each setting came from: the process environment, the `.env` file,
//! or nowhere (the built-in default applies). Recorded once at start-up,
//! before the `.env` file fills the environment, because afterwards the two
//! can no longer be told apart.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// The source of one environment variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    DotEnv(PathBuf),
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => f.write_str("environment"),
            Origin::DotEnv(path) => write!(f, ".env ({})", path.display()),
            Origin::Default => f.write_str("default"),
        }
    }
}

#[derive(Debug, Default)]
pub struct Origins {
    /// The `.env` file that was loaded, if any.
    pub dotenv: Option<PathBuf>,
    /// Variables the `.env` file set (the environment lacked them).
    from_dotenv: BTreeSet<String>,
}

impl Origins {
    /// Loads the nearest `.env` (the working directory, else the closest
    /// parent that has one) into the environment, remembering which
    /// variables it supplied. A `.env` that cannot be read is reported and
    /// otherwise ignored: the command may not need anything from it.
    pub fn load() -> Self {
        let before: BTreeSet<String> = names();
        let dotenv = match dotenvy::dotenv() {
            Ok(path) => Some(path),
            Err(error) if error.not_found() => None,
            Err(error) => {
                eprintln!("warning: .env not loaded: {error}");
                None
            }
        };
        let from_dotenv = names().difference(&before).cloned().collect();
        Self {
            dotenv,
            from_dotenv,
        }
    }

    /// Where `name`'s current value came from.
    pub fn origin(&self, name: &str) -> Origin {
        let set = std::env::var_os(name).is_some_and(|v| !v.is_empty());
        match (&self.dotenv, set) {
            (_, false) => Origin::Default,
            (Some(path), true) if self.from_dotenv.contains(name) => Origin::DotEnv(path.clone()),
            _ => Origin::Environment,
        }
    }
}

fn names() -> BTreeSet<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect()
}
