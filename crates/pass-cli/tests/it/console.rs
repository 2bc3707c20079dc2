//! The web console in a real headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them):
//! `pass serve`'s printed link signs a tab in, a PRD pasted into the page is
//! planned while the page follows it live, the diagrams are SVG with the
//! component names and issue ids, a question is answered, the plan approved
//! and synced until the issue links show; markup from a PRD stays text and a
//! wrong token says so. Screenshots land in `target/console-screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use pass_client::PassClient;
use pass_contracts::artifacts::names;
use pass_contracts::{ArchitecturePack, RunInput, Text};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{free_bind, pass_command, repo_file};

const TOKEN: &str = "console-test-token";

const PANTRY: &str = "# Pantry Pal

A small web app that helps a household track what is in the pantry.

## Requirements

- Members sign in with an email link.
- Members add an item with a name, quantity and expiry date.
- Members see items that expire within three days on the home page.
- Members share the pantry with the rest of the household.
- The app sends a weekly email digest of expiring items.
";

const MARKUP_PRD: &str = "# <script>window.__pwned = 1</script> Recipe <b>box</b>

Members keep recipes. <img src=x onerror=\"window.__pwned = 2\">

## Requirements

- Members add a recipe with a title and <i>steps</i>.
- Members search recipes by ingredient.
";

/// A process this test started, ended by its own id when dropped.
struct Owned(Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the screenshots go: the workspace's `target/console-screenshots/`.
fn screenshot_dir() -> PathBuf {
    let dir = repo_file("target/console-screenshots");
    fs_err::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    fs_err::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// `pass serve` with the token, reading the console link it prints.
fn serve(runs_dir: &std::path::Path) -> (Owned, String, String) {
    let bind = free_bind();
    let mut command = pass_command(&[
        "serve",
        "--bind",
        &bind,
        "--runs-dir",
        runs_dir.to_str().unwrap(),
    ]);
    command
        .env("PASS_API_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let owned = Owned(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let link = line
        .trim()
        .strip_prefix("console: ")
        .unwrap_or_else(|| panic!("pass serve printed no console link: {line:?}"))
        .to_owned();
    (owned, format!("http://{bind}"), link)
}

/// chromedriver on a free port and a headless Chromium session with a fresh
/// profile and every background network feature off (the machine has no
/// network; loopback only).
async fn browser(profile: &std::path::Path) -> (Owned, Client) {
    let driver = std::env::var("PASS_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    let chromium =
        std::env::var("PASS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let port = free_bind().rsplit(':').next().unwrap().to_owned();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{driver} could not start ({e}): install chromium and chromium-driver")
        });
    let owned = Owned(child);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return (owned, client),
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => panic!("no WebDriver session: {error}"),
        }
    }
}

/// Polls a script until it returns true.
async fn wait_for(client: &Client, what: &str, script: &str, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let value = client.execute(script, vec![]).await.unwrap();
        if value == Value::Bool(true) {
            return;
        }
        if Instant::now() > deadline {
            let message = client
                .execute("return document.querySelector('#message').textContent + ' | ' + document.body.innerText.slice(0, 3000)", vec![])
                .await
                .unwrap();
            panic!("timed out waiting for {what}; page: {message}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

async fn fill(client: &Client, css: &str, text: &str) {
    let element = client.find(Locator::Css(css)).await.unwrap();
    element.clear().await.unwrap();
    element.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Every input, textarea and select on the page has a label: a `<label
/// for>` naming it or an enclosing `<label>`.
async fn assert_labelled(client: &Client) {
    let unlabelled = js(
        client,
        "return Array.from(document.querySelectorAll('input, textarea, select'))
            .filter(e => e.type !== 'hidden' && !e.closest('[hidden]'))
            .filter(e => !(e.id && document.querySelector('label[for=\"' + e.id + '\"]')) && !e.closest('label') && !e.getAttribute('aria-label'))
            .map(e => e.outerHTML.slice(0, 80));",
    )
    .await;
    assert_eq!(unlabelled, json!([]), "inputs without a label");
}

/// The ids of what Tab reaches, pressing it `presses` times from the top.
async fn tab_stops(client: &Client, presses: usize) -> Vec<String> {
    js(
        client,
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);",
    )
    .await;
    let body = client.find(Locator::Css("body")).await.unwrap();
    let mut stops = Vec::new();
    for _ in 0..presses {
        body.send_keys("\u{e004}").await.unwrap();
        let id = js(
            client,
            "const e = document.activeElement; const form = e.closest('form[data-action]');
             return e.id || e.dataset.action && (e.dataset.action + ':' + (e.dataset.workflow || e.dataset.qid || ''))
               || (form && form.dataset.action + ':' + e.tagName.toLowerCase()) || e.tagName;",
        )
        .await;
        stops.push(id.as_str().unwrap_or_default().to_owned());
    }
    stops
}

async fn pack_of(api: &PassClient, run_id: Uuid) -> ArchitecturePack {
    serde_json::from_value(
        api.get_artifact(run_id, names::ARCHITECTURE_PACK)
            .await
            .unwrap()
            .payload,
    )
    .unwrap()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn run_id_in(url: &str) -> Uuid {
    Uuid::parse_str(url.rsplit('/').next().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_plans_answers_approves_and_syncs_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, link) = serve(&dir.path().join("runs"));
    assert!(link.starts_with(&format!("{base}/ui/#token=")), "{link}");
    let api = PassClient::new(&base, Some(SecretString::from(TOKEN))).unwrap();
    let (_driver, client) = browser(&dir.path().join("profile")).await;

    // A wrong token: a clear message and the token form, nothing else.
    client
        .goto(&format!("{base}/ui/#token=not-the-token"))
        .await
        .unwrap();
    wait_for(
        &client,
        "the refused-token message",
        "return document.querySelector('#message').textContent.includes('refused the token');",
        20,
    )
    .await;
    let message = js(
        &client,
        "return document.querySelector('#message').textContent;",
    )
    .await;
    assert!(
        message.as_str().unwrap().contains("PASS_API_TOKEN"),
        "{message}"
    );
    assert_eq!(
        js(
            &client,
            "return document.querySelector('#token-form').hidden;"
        )
        .await,
        json!(false)
    );
    assert_eq!(
        js(&client, "return location.hash;").await,
        json!(""),
        "the token leaves the address bar"
    );
    assert_eq!(
        js(
            &client,
            "return document.querySelectorAll('#runs tbody tr').length;"
        )
        .await,
        json!(0)
    );
    screenshot(&client, "wrong-token").await;

    // The printed link signs the tab in; the token lives in session storage only.
    client.goto(&link).await.unwrap();
    wait_for(
        &client,
        "the run list",
        "return document.querySelector('#runs-count').textContent.includes('of 0 runs');",
        20,
    )
    .await;
    assert_eq!(
        js(
            &client,
            "return [location.hash, document.cookie, sessionStorage.getItem('pass.console.token')];"
        )
        .await,
        json!(["", "", TOKEN])
    );
    assert_labelled(&client).await;
    let stops = tab_stops(&client, 14).await;
    for wanted in ["search", "new-project", "new-prd", "new-org"] {
        assert!(
            stops.iter().any(|s| s == wanted),
            "Tab reaches #{wanted}: {stops:?}"
        );
    }

    // A new run from the browser: the page follows it live to `exported`.
    fill(&client, "#new-project", "Console pantry").await;
    fill(&client, "#new-prd", PANTRY).await;
    click(&client, "#new-run button[type=submit]").await;
    wait_for(
        &client,
        "the run page",
        "return location.pathname.startsWith('/ui/runs/');",
        30,
    )
    .await;
    let first = run_id_in(client.current_url().await.unwrap().as_str());
    wait_for(
        &client,
        "the plan to be exported",
        "return document.body.dataset.status === 'exported' && !!document.querySelector('#architecture svg');",
        120,
    )
    .await;
    let pack = pack_of(&api, first).await;
    let diagram_text = js(
        &client,
        "return document.querySelector('#architecture figure svg').textContent;",
    )
    .await;
    for component in pack.architecture.components.iter() {
        assert!(
            diagram_text
                .as_str()
                .unwrap()
                .contains(component.name.as_str()),
            "the diagram names {}: {diagram_text}",
            component.name
        );
    }
    let graph_text = js(
        &client,
        "return document.querySelector('#plan figure svg').textContent;",
    )
    .await;
    for item in &pack.implementation.github_issue_plan {
        assert!(graph_text.as_str().unwrap().contains(item.id.as_str()));
    }
    let timeline = js(
        &client,
        "return Array.from(document.querySelectorAll('#timeline .step.done')).length;",
    )
    .await;
    assert_eq!(timeline, json!(5), "every step of the pipeline is done");
    let sync_button = js(&client, "const b = document.querySelector('button[data-workflow=\"phase2-implementation\"]'); return [b.disabled, document.getElementById(b.getAttribute('aria-describedby')).textContent];").await;
    assert_eq!(sync_button[0], json!(true), "a draft plan cannot be synced");
    assert!(
        sync_button[1].as_str().unwrap().contains("approved first"),
        "{sync_button}"
    );
    assert_labelled(&client).await;
    screenshot(&client, "run-exported").await;

    // Answer a question: the next revision is planned and the page follows it.
    let question = js(
        &client,
        "return document.querySelector('form.answer').dataset.qid;",
    )
    .await;
    let qid = question.as_str().unwrap().to_owned();
    fill(
        &client,
        &format!("form.answer[data-qid=\"{qid}\"] textarea"),
        "Use SQLite instead of PostgreSQL",
    )
    .await;
    click(
        &client,
        &format!("form.answer[data-qid=\"{qid}\"] button[type=submit]"),
    )
    .await;
    wait_for(
        &client,
        "the next revision's page",
        &format!("return location.pathname.startsWith('/ui/runs/') && !location.pathname.endsWith('{first}');"),
        30,
    )
    .await;
    let second = run_id_in(client.current_url().await.unwrap().as_str());
    wait_for(
        &client,
        "revision 2 to be exported with its changes",
        "return document.body.dataset.status === 'exported' && !!document.querySelector('#changes') && !!document.querySelector('#plan svg');",
        120,
    )
    .await;
    let changes_title = js(
        &client,
        "return document.querySelector('#changes-h').textContent;",
    )
    .await;
    assert_eq!(changes_title, json!("Changes since revision 1"));
    let answered = api.clarifications(first).await.unwrap();
    assert!(
        answered.iter().any(|c| c.id.as_str() == qid
            && c.answer.as_deref() == Some("Use SQLite instead of PostgreSQL"))
    );

    // Approve (accepting the defaults of what is still open), then sync.
    let stops = tab_stops(&client, 16).await;
    for wanted in [
        "accept-defaults",
        "approve:button",
        "refine-request",
        "refine:button",
    ] {
        assert!(
            stops.iter().any(|s| s == wanted),
            "Tab reaches {wanted}: {stops:?}"
        );
    }
    assert!(
        stops.iter().any(|s| s.starts_with("answer-"))
            && stops.iter().any(|s| s.starts_with("accept-default:")),
        "Tab reaches the questions' controls: {stops:?}"
    );
    js(&client, "const c = document.querySelector('#accept-defaults'); if (c) c.checked = true; return true;").await;
    click(&client, "form.approve button[type=submit]").await;
    wait_for(
        &client,
        "the approved plan",
        "return document.querySelector('#overview').textContent.includes('approved') && !document.querySelector('button[data-workflow=\"phase2-implementation\"]').disabled;",
        30,
    )
    .await;
    click(&client, "button[data-workflow=\"phase2-implementation\"]").await;
    wait_for(
        &client,
        "issue links after the sync",
        "return document.querySelectorAll('#plan a.issue').length > 0 && document.querySelectorAll('#plan svg a').length > 0 && document.body.dataset.live === 'false';",
        120,
    )
    .await;
    let detail = api.get_run(second).await.unwrap().run;
    let issues = detail.implementation_state.unwrap().issues;
    let hrefs = js(
        &client,
        "return Array.from(document.querySelectorAll('#plan a.issue')).map(a => a.href);",
    )
    .await;
    for issue in &issues {
        let url = issue.issue_url.as_ref().unwrap().as_str();
        assert!(
            hrefs.as_array().unwrap().iter().any(|h| h == url),
            "{url} linked: {hrefs}"
        );
    }
    let outcomes = js(&client, "return Array.from(document.querySelectorAll('#plan [data-outcome]')).map(e => e.dataset.outcome);").await;
    assert_eq!(outcomes.as_array().unwrap().len(), issues.len());
    assert!(
        outcomes.as_array().unwrap().iter().all(|o| o == "created"),
        "{outcomes}"
    );
    let graph_links = js(
        &client,
        "return document.querySelectorAll('#plan svg a').length;",
    )
    .await;
    assert_eq!(
        graph_links,
        json!(issues.len()),
        "every node links to its issue"
    );
    screenshot(&client, "run-synced").await;
    for section in ["architecture", "plan"] {
        js(
            &client,
            &format!("document.querySelector('#{section}').scrollIntoView(); return true;"),
        )
        .await;
        screenshot(&client, &format!("run-{section}")).await;
    }

    // The same run as one self-contained HTML file, against the same API.
    let export = dir.path().join("review.html");
    let output = pass_command(&[
        "export",
        &second.to_string(),
        "--html",
        export.to_str().unwrap(),
        "--api",
        &base,
    ])
    .env("PASS_API_TOKEN", TOKEN)
    .output()
    .unwrap();
    crate::assert_success(&output);
    let html = fs_err::read_to_string(&export).unwrap();
    assert!(
        html.contains("Content-Security-Policy"),
        "a policy with no script"
    );
    assert!(!html.contains("<script"), "no script in the export");
    assert!(!html.contains("<link"), "nothing loaded from elsewhere");
    assert_eq!(html.matches("<svg").count(), 2, "both diagrams inline");
    let second_pack = pack_of(&api, second).await;
    for component in second_pack.architecture.components.iter() {
        assert!(
            html.contains(&escape_html(component.name.as_str())),
            "{}",
            component.name
        );
    }
    for issue in &issues {
        assert!(html.contains(issue.issue_url.as_ref().unwrap().as_str()));
    }
    assert!(html.contains("Changes since revision 1"));
    for control in ["<button", "<form", "<textarea", "<input"] {
        assert!(
            !html.contains(control),
            "no controls in the export: {control}"
        );
    }
    client
        .goto(&format!("file://{}", export.display()))
        .await
        .unwrap();
    assert_eq!(
        js(&client, "return document.querySelectorAll('svg').length;").await,
        json!(2)
    );
    screenshot(&client, "export").await;

    // A PRD with markup: shown as text, nothing of it runs or loads.
    let markup = api
        .create_run(&RunInput {
            prd_text: Text::new(MARKUP_PRD).unwrap(),
            org_constraints_yaml: None,
            requested_by: None,
            source: None,
            project_id: None,
            refinement: None,
        })
        .await
        .unwrap();
    api.dispatch(markup.run_id, pass_contracts::WorkflowName::Planner)
        .await
        .unwrap();
    client
        .goto(&format!("{base}/ui/runs/{}", markup.run_id))
        .await
        .unwrap();
    wait_for(
        &client,
        "the markup run to be exported",
        "return document.body.dataset.status === 'exported' && !!document.querySelector('#architecture');",
        120,
    )
    .await;
    let title = js(
        &client,
        "return document.querySelector('#run-title').textContent;",
    )
    .await;
    assert!(title.as_str().unwrap().contains("<script>"), "{title}");
    assert_eq!(
        js(&client, "return typeof window.__pwned;").await,
        json!("undefined")
    );
    assert_eq!(js(&client, "return document.querySelectorAll('#sections script, #sections img, #sections b, #sections i').length;").await, json!(0));
    let page_text = js(
        &client,
        "return document.querySelector('#sections').textContent;",
    )
    .await;
    assert!(
        page_text.as_str().unwrap().contains("<i>steps</i>")
            || page_text.as_str().unwrap().contains("steps"),
        "{page_text}"
    );
    screenshot(&client, "markup-as-text").await;

    // The list finds runs by short id and by name.
    client.goto(&format!("{base}/ui/")).await.unwrap();
    wait_for(
        &client,
        "the list of three runs",
        "return document.querySelectorAll('#runs tbody tr').length === 3;",
        20,
    )
    .await;
    fill(&client, "#search", &first.to_string()[..8]).await;
    wait_for(
        &client,
        "one run found by short id",
        "return document.querySelectorAll('#runs tbody tr').length === 1;",
        10,
    )
    .await;
    fill(&client, "#search", "console pantry").await;
    wait_for(
        &client,
        "both revisions found by project",
        "return document.querySelectorAll('#runs tbody tr').length === 2;",
        10,
    )
    .await;
    screenshot(&client, "index").await;
    client.close().await.unwrap();
}
