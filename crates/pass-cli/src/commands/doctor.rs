//! `pass doctor`: the configuration PASS resolves, where each value came
//! from (environment, `.env`, default), and whether what it names answers:
//! the PASS API and its token, the model and its key, GitHub and the token's
//! scopes. Secrets are shown as set or unset, never as values.

use std::time::Duration;

use pass_client::PassClient;
use pass_implementation::{ImplementationConfig, TargetConfig};
use pass_planner::{PlannerConfig, Provider};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::api::ApiArgs;
use super::report;
use crate::origins::{Origin, Origins};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pass doctor                 configuration and every check
  pass doctor --no-network    the configuration only
  pass doctor --json")]
pub struct Args {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Show the configuration only; reach nothing.
    #[arg(long)]
    pub no_network: bool,
    /// Print one JSON document instead of the report.
    #[arg(long, env = "PASS_JSON")]
    pub json: bool,
}

/// One setting doctor shows: its variable, its built-in default (`None`:
/// unset unless configured) and whether its value is a secret.
struct Setting {
    name: &'static str,
    default: Option<&'static str>,
    secret: bool,
}

const fn plain(name: &'static str, default: Option<&'static str>) -> Setting {
    Setting {
        name,
        default,
        secret: false,
    }
}

const fn secret(name: &'static str) -> Setting {
    Setting {
        name,
        default: None,
        secret: true,
    }
}

/// The settings that decide where PASS runs, which model plans and where
/// issues go. The tuning knobs (timeouts, budgets) are in the README.
const SETTINGS: &[Setting] = &[
    plain("PASS_API_BASE_URL", Some("http://127.0.0.1:3001")),
    secret("PASS_API_TOKEN"),
    plain("PASS_API_PUBLIC_BASE_URL", None),
    plain("PASS_API_AUTH", Some("all")),
    plain("PASS_BIND", Some("127.0.0.1:3001")),
    plain("RUNS_DIR", Some("runs")),
    plain("PASS_EXECUTION_BACKEND", None),
    plain("PASS_LOG_FORMAT", Some("text")),
    plain("PASS_PROJECT", None),
    plain("PASS_ORG_FILE", None),
    plain("PASS_LLM_PROVIDER", None),
    secret("ANTHROPIC_API_KEY"),
    plain("ANTHROPIC_MODEL", Some("claude-sonnet-4-6")),
    plain("ANTHROPIC_BASE_URL", Some("https://api.anthropic.com/v1")),
    secret("OPENAI_API_KEY"),
    plain("OPENAI_BASE_URL", Some("https://api.openai.com/v1")),
    plain("OPENAI_MODEL", Some("gpt-4.1-mini")),
    plain("GITHUB_API_URL", Some("https://api.github.com")),
    plain("GITHUB_WORKFLOW_REPOSITORY", None),
    secret("PASS_GITHUB_WORKFLOW_TOKEN"),
    secret("GITHUB_WORKFLOW_TOKEN"),
    plain("GITHUB_WORKFLOW_SEND_VERSION", Some("false")),
    plain("PASS_ISSUE_TARGET", None),
    plain("GITHUB_ISSUES_REPOSITORY", None),
    secret("PASS_GITHUB_ISSUES_TOKEN"),
    secret("GITHUB_ISSUES_TOKEN"),
    plain("GITHUB_REPOSITORY", None),
    secret("PASS_GITHUB_TOKEN"),
    secret("GITHUB_TOKEN"),
];

/// The outcome of one reachability check; `ok: None` means not applicable.
struct Check {
    name: &'static str,
    ok: Option<bool>,
    detail: String,
}

impl Check {
    fn pass(name: &'static str, detail: String) -> Self {
        Self {
            name,
            ok: Some(true),
            detail,
        }
    }
    fn fail(name: &'static str, detail: String) -> Self {
        Self {
            name,
            ok: Some(false),
            detail,
        }
    }
    fn skip(name: &'static str, detail: String) -> Self {
        Self {
            name,
            ok: None,
            detail,
        }
    }
}

pub async fn run(args: Args, origins: &Origins) -> anyhow::Result<()> {
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let settings: Vec<(String, String, String)> = SETTINGS
        .iter()
        .map(|s| {
            let origin = origins.origin(s.name);
            let value = match (&origin, lookup(s.name)) {
                (Origin::Default, _) | (_, None) => s
                    .default
                    .map_or("(unset)".to_owned(), |d| format!("{d} (built in)")),
                (_, Some(_)) if s.secret => "(set, redacted)".to_owned(),
                (_, Some(value)) => value,
            };
            (s.name.to_owned(), value, origin.to_string())
        })
        .collect();

    let planner = PlannerConfig::from_lookup(lookup);
    let implementation = ImplementationConfig::from_lookup(lookup);
    let server = pass_server::ServerConfig::from_lookup(lookup);
    let mut derived = Vec::new();
    derived.push((
        "planner",
        match &planner {
            Ok(config) => config.describe_provider(),
            Err(error) => format!("not usable: {error}"),
        },
    ));
    derived.push((
        "issues",
        match &implementation {
            Ok(config) => config.describe_target(),
            Err(error) => format!("not usable: {error}"),
        },
    ));
    derived.push((
        "agents",
        match &server {
            Ok(config) => format!(
                "execution backend of pass serve: {}",
                config.backend.as_str()
            ),
            Err(error) => format!("not usable: {error}"),
        },
    ));

    let mut checks = Vec::new();
    if args.no_network {
        checks.push(Check::skip(
            "network",
            "--no-network: nothing reached".into(),
        ));
    } else {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("pass-doctor/", env!("CARGO_PKG_VERSION")))
            .build()?;
        checks.extend(check_api(&args.api).await);
        checks.push(match &planner {
            Ok(config) => check_model(&http, config).await,
            Err(error) => Check::fail("model", format!("configuration: {error}")),
        });
        match &implementation {
            Ok(config) => checks.push(check_issue_repo(&http, config).await),
            Err(error) => checks.push(Check::fail("github issues", error.to_string())),
        }
        if let Ok(config) = &server {
            checks.push(check_workflow_repo(&http, config).await);
        }
    }

    let failed = checks.iter().filter(|c| c.ok == Some(false)).count();
    if args.json {
        report::print_json(&json!({
            "dotenv": origins.dotenv.as_ref().map(|p| p.display().to_string()),
            "configuration": settings.iter().map(|(name, value, origin)| json!({
                "name": name, "value": value, "origin": origin,
            })).collect::<Vec<Value>>(),
            "resolved": derived.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "checks": checks.iter().map(|c| json!({
                "name": c.name, "ok": c.ok, "detail": c.detail,
            })).collect::<Vec<Value>>(),
        }))?;
    } else {
        match &origins.dotenv {
            Some(path) => println!(".env: {}", path.display()),
            None => println!(".env: none found (working directory and its parents)"),
        }
        println!("configuration");
        let rows: Vec<Vec<String>> = settings
            .iter()
            .map(|(name, value, origin)| vec![name.clone(), value.clone(), origin.clone()])
            .collect();
        print!(
            "{}",
            super::runs::table(&["VARIABLE", "VALUE", "FROM"], &rows)
        );
        println!("resolved");
        for (name, text) in &derived {
            println!("  {name:<8} {text}");
        }
        println!("checks");
        for check in &checks {
            let mark = match check.ok {
                Some(true) => "ok  ",
                Some(false) => "FAIL",
                None => "--  ",
            };
            println!("  {mark} {:<16} {}", check.name, check.detail);
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}

async fn check_api(api: &ApiArgs) -> Vec<Check> {
    let client = match api.client() {
        Ok(client) => client.with_retries(0),
        Err(error) => return vec![Check::fail("pass api", error.to_string())],
    };
    let health = match client.health().await {
        Ok(health) => health,
        Err(error) => {
            return vec![Check::fail(
                "pass api",
                format!("{} does not answer: {error}", api.api),
            )];
        }
    };
    let mut checks = vec![Check::pass(
        "pass api",
        format!(
            "{}: PASS {}, store {}, execution backend {}",
            api.api,
            health["version"].as_str().unwrap_or("?"),
            health["status"].as_str().unwrap_or("?"),
            health["execution_backend"].as_str().unwrap_or("?")
        ),
    )];
    checks.push(check_token(&client, api.token.is_some()).await);
    checks
}

async fn check_token(client: &PassClient, has_token: bool) -> Check {
    match (client.list_runs(Some(1), None).await, has_token) {
        (Ok(list), true) => Check::pass(
            "pass api token",
            format!("accepted ({} runs on the server)", list.total),
        ),
        (Ok(_), false) => Check::pass(
            "pass api token",
            "none set, and the server asks for none (PASS_API_AUTH=agents)".into(),
        ),
        (Err(error), _) if error.status() == Some(401) => Check::fail(
            "pass api token",
            if has_token {
                "refused (401): PASS_API_TOKEN is not the server's token".into()
            } else {
                "missing: the server answers 401; set PASS_API_TOKEN".into()
            },
        ),
        (Err(error), _) => Check::fail("pass api token", error.to_string()),
    }
}

async fn check_model(http: &reqwest::Client, config: &PlannerConfig) -> Check {
    let (base, request) = match config.provider {
        Provider::Offline => {
            return Check::skip(
                "model",
                "offline: the deterministic PRD reader, nothing to reach".into(),
            );
        }
        Provider::Anthropic => {
            let base = config.anthropic.base_url.trim_end_matches('/').to_owned();
            let mut request = http
                .get(format!("{base}/models"))
                .header("anthropic-version", &config.anthropic.version);
            if let Some(key) = &config.anthropic.api_key {
                request = request.header("x-api-key", key.expose_secret());
            }
            (base, request)
        }
        Provider::Openai => {
            let base = config.openai.base_url.trim_end_matches('/').to_owned();
            let mut request = http.get(format!("{base}/models"));
            if let Some(key) = &config.openai.api_key {
                request = request.bearer_auth(key.expose_secret());
            }
            (base, request)
        }
    };
    let provider = config.provider.as_str();
    let model = config.model_name();
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Check::fail(
                "model",
                format!("{provider} at {base} does not answer: {}", chain(&error)),
            );
        }
    };
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Check::fail(
            "model",
            format!("{provider} at {base} refused the key ({status})"),
        );
    }
    if !status.is_success() {
        return Check::fail(
            "model",
            format!("{provider} at {base} answered {status} to GET /models"),
        );
    }
    let listed = response
        .json::<Value>()
        .await
        .ok()
        .and_then(|body| {
            body["data"]
                .as_array()
                .map(|models| models.iter().any(|m| m["id"].as_str() == Some(model)))
        })
        .unwrap_or(false);
    if listed {
        Check::pass(
            "model",
            format!("{provider} at {base}: key accepted, model {model} listed"),
        )
    } else {
        Check::fail(
            "model",
            format!("{provider} at {base}: key accepted, but model {model} is not in its list"),
        )
    }
}

async fn check_issue_repo(http: &reqwest::Client, config: &ImplementationConfig) -> Check {
    match &config.target {
        TargetConfig::Local(_) => Check::skip(
            "github issues",
            "not used: issues are local Markdown files".into(),
        ),
        TargetConfig::Github(github) => {
            check_repo(
                http,
                "github issues",
                github.api_url.as_str(),
                &github.owner,
                &github.repo,
                &github.token,
            )
            .await
        }
    }
}

async fn check_workflow_repo(http: &reqwest::Client, config: &pass_server::ServerConfig) -> Check {
    match &config.github {
        None => Check::skip(
            "github actions",
            "not configured: pass serve runs agents as local processes".into(),
        ),
        Some(github) => {
            check_repo(
                http,
                "github actions",
                github.api_url.as_str(),
                &github.owner,
                &github.repo,
                &github.token,
            )
            .await
        }
    }
}

/// `GET /repos/{owner}/{repo}` with the token: whether it may write, and the
/// scopes GitHub lists for a classic token.
async fn check_repo(
    http: &reqwest::Client,
    name: &'static str,
    api_url: &str,
    owner: &str,
    repo: &str,
    token: &SecretString,
) -> Check {
    let url = format!("{}/repos/{owner}/{repo}", api_url.trim_end_matches('/'));
    let response = match http
        .get(&url)
        .bearer_auth(token.expose_secret())
        .header("accept", "application/vnd.github+json")
        .send()
        .await
    {
        Ok(response) => response,
        Err(error) => {
            return Check::fail(
                name,
                format!("{api_url} does not answer: {}", chain(&error)),
            );
        }
    };
    let status = response.status();
    let scopes = response
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if !status.is_success() {
        let why = match status.as_u16() {
            401 => "the token is refused".to_owned(),
            404 => "not found, or the token cannot see it".to_owned(),
            _ => format!("GitHub answered {status}"),
        };
        return Check::fail(name, format!("{owner}/{repo}: {why}"));
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let push = body["permissions"]["push"].as_bool();
    let scopes = match scopes.as_deref() {
        Some("") => "token scopes: none".to_owned(),
        Some(list) => format!("token scopes: {list}"),
        None => "token scopes: not listed (a fine-grained token or an app)".to_owned(),
    };
    let detail = format!(
        "{owner}/{repo}: {}; {scopes}",
        match push {
            Some(true) => "the token may write",
            Some(false) => "the token may only read",
            None => "reachable",
        }
    );
    if push == Some(false) {
        Check::fail(name, detail)
    } else {
        Check::pass(name, detail)
    }
}

/// An error with its sources, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let next = inner.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = inner.source();
    }
    text
}
