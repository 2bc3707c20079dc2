//! The console's pages and assets. The pages are public shells with no data
//! in them: the script layer asks for the token once, keeps it in the tab's
//! session storage and reads everything through the JSON API with it, so no
//! data is served without the token and the token never reaches the server
//! in a URL or a cookie.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};

/// The console's policy: scripts and styles only from this server (no inline
/// script at all), data only from this server, no frames, no forms posted
/// anywhere, no plugins. Inline `style` stays allowed for the SVG the
/// diagram renderer writes (presentation only; scripts stay locked out).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
form-action 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

const SCRIPT: &str = include_str!("../assets/console.js");
const STYLE: &str = include_str!("../assets/console.css");

/// The console's stylesheet, also inlined into the HTML export.
pub fn stylesheet() -> &'static str {
    STYLE
}

/// The routes of the console, all public: `/ui/`, `/ui/runs/{run_id}`,
/// `/ui/assets/{file}`, and `/ui` redirecting to `/ui/`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(index))
        .route("/ui/runs/{run_id}", get(run_page))
        .route("/ui/assets/{file}", get(asset))
}

/// Headers every console answer carries.
fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-cache"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn page(markup: Markup) -> Response {
    with_security_headers(
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            markup.into_string(),
        )
            .into_response(),
    )
}

fn shell(title: &str, page_kind: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                link rel="stylesheet" href="/ui/assets/console.css";
                script src="/ui/assets/console.js" defer {}
            }
            body data-page=(page_kind) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/ui/" { "PASS" }
                    span.sub { "architecture packs and issue plans" }
                    button type="button" id="sign-out" hidden { "Forget token" }
                }
                div id="message" role="alert" aria-live="assertive" {}
                form id="token-form" hidden {
                    p { "This console reads the PASS API with its token (" code { "PASS_API_TOKEN" } "). It is kept in this tab only." }
                    label for="token-input" { "API token" }
                    input id="token-input" name="token" type="password" autocomplete="off" required;
                    button type="submit" { "Sign in" }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

async fn index() -> Response {
    page(shell(
        "PASS console",
        "index",
        html! {
            h1 { "Projects and runs" }
            section aria-labelledby="runs-heading" {
                h2 id="runs-heading" { "Runs" }
                label for="search" { "Find by name, project or short id" }
                input id="search" type="search" autocomplete="off";
                p id="runs-count" role="status" aria-live="polite" {}
                table id="runs" {
                    thead { tr {
                        th scope="col" { "Title" } th scope="col" { "Project" } th scope="col" { "Revision" }
                        th scope="col" { "Status" } th scope="col" { "Plan" } th scope="col" { "Id" } th scope="col" { "When" }
                    } }
                    tbody {}
                }
            }
            section aria-labelledby="new-heading" {
                h2 id="new-heading" { "New run" }
                form id="new-run" {
                    label for="new-project" { "Project (a new name creates it; empty: named after the PRD's title)" }
                    input id="new-project" name="project" type="text" autocomplete="off";
                    label for="new-prd" { "PRD (Markdown or text)" }
                    textarea id="new-prd" name="prd" rows="10" required {}
                    label for="new-prd-file" { "or upload the PRD file" }
                    input id="new-prd-file" type="file" accept=".md,.txt,.markdown,text/plain,text/markdown";
                    label for="new-org" { "Org constraints YAML (optional)" }
                    textarea id="new-org" name="org" rows="4" {}
                    label for="new-org-file" { "or upload the YAML file" }
                    input id="new-org-file" type="file" accept=".yml,.yaml,text/yaml";
                    button type="submit" { "Create and plan" }
                    p id="new-run-status" role="status" aria-live="polite" {}
                }
            }
        },
    ))
}

async fn run_page(Path(run_id): Path<String>) -> Response {
    // The id is only echoed back to the script through the URL it already
    // has; a string that is not a UUID names no run.
    if uuid::Uuid::parse_str(&run_id).is_err() {
        return with_security_headers(
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                shell(
                    "Run not found",
                    "missing",
                    html! { h1 { "Run not found" } p { "Run ids are UUIDs." } },
                )
                .into_string(),
            )
                .into_response(),
        );
    }
    page(shell(
        "PASS run",
        "run",
        html! {
            p { a href="/ui/" { "← all runs" } }
            h1 id="run-title" { "Run" }
            p id="live" role="status" aria-live="polite" {}
            div id="sections" {}
        },
    ))
}

async fn asset(Path(file): Path<String>) -> Response {
    let (content_type, body) = match file.as_str() {
        "console.js" => ("text/javascript; charset=utf-8", SCRIPT),
        "console.css" => ("text/css; charset=utf-8", STYLE),
        _ => {
            return with_security_headers((StatusCode::NOT_FOUND, "no such asset").into_response());
        }
    };
    with_security_headers(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
