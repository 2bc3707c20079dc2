//! The web console over HTTP: public pages with no data and a strict
//! Content-Security-Policy, data only through the token-protected view
//! routes, and everything from a PRD or a model escaped in what they answer.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{expect_error, spawn_app};

const HOSTILE: &str = "<script>alert(1)</script>";

#[tokio::test]
async fn pages_are_public_shells_with_a_strict_policy() {
    let app = spawn_app(&[]).await;
    for path in ["/ui/", "/ui/runs/6f1c2c8e-6a4e-4a57-9d57-3f3b8f2f4a10"] {
        let response = app.get_public(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-security-policy"],
            pass_console::CONTENT_SECURITY_POLICY
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"));
        assert!(!policy.contains("script-src 'self' 'unsafe"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("<script src=\"/ui/assets/console.js\" defer>"));
        // No inline script: the only script element is the external one.
        assert_eq!(body.matches("<script").count(), 1, "{body}");
        assert!(!body.contains("token="), "no token in a page");
    }
    let script = app.get_public("/ui/assets/console.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.text().await.unwrap().contains("sessionStorage"));
    let style = app.get_public("/ui/assets/console.css").await;
    assert_eq!(style.status(), 200);
    assert_eq!(app.get_public("/ui/assets/other.js").await.status(), 404);
    assert_eq!(app.get_public("/ui/runs/not-a-run").await.status(), 404);
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/ui"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/ui/");
}

#[tokio::test]
async fn views_need_the_token() {
    let app = spawn_app(&[]).await;
    let id = app.new_run().await;
    for path in ["/views/runs".to_owned(), format!("/views/runs/{id}")] {
        expect_error(app.get_public(&path).await, 401, "unauthorized").await;
        let wrong = app
            .http
            .get(app.url(&path))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        expect_error(wrong, 401, "unauthorized").await;
        assert_eq!(app.send(Method::GET, &path, None).await.status(), 200);
    }
    let missing = app
        .send(
            Method::GET,
            "/views/runs/00000000-0000-0000-0000-000000000000",
            None,
        )
        .await;
    expect_error(missing, 404, "run_not_found").await;
}

#[tokio::test]
async fn prd_and_model_text_is_escaped_and_diagrams_are_svg() {
    let app = spawn_app(&[]).await;
    let prd = format!("# {HOSTILE} Board\n\nA board <img src=x onerror=alert(2)>.\n");
    let created = app
        .send(Method::POST, "/runs", Some(json!({"prd_text": prd})))
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["run"]["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut pack: Value = serde_json::from_str(include_str!(
        "../../../../samples/architecture_pack.sample.json"
    ))
    .unwrap();
    pack["run_id"] = json!(id);
    let component = format!("Web {HOSTILE}");
    pack["architecture"]["components"][0]["name"] = json!(component);
    pack["implementation"]["github_issue_plan"][0]["title"] =
        json!("\"><img src=x onerror=alert(3)> item");
    pack["prd"]["summary"] = json!(format!("Summary {HOSTILE}"));
    pack["prd"]["title"] = json!(format!("{HOSTILE} Board"));
    let uploaded = app
        .upload(
            id.parse().unwrap(),
            "architecture_pack",
            "application/json",
            pack.clone(),
        )
        .await;
    assert_eq!(uploaded.status(), 201);
    let diagram = String::from(
        "flowchart LR\n    c0[\"Web #lt;script#gt;alert(1)#lt;/script#gt;\"]\n    c1[(\"Store\")]\n    c0 -->|\"reads\"| c1\n    click c0 href \"javascript:alert(4)\"\n",
    );
    let uploaded = app
        .upload(
            id.parse().unwrap(),
            "architecture_pack_diagram",
            "text/plain",
            json!(diagram),
        )
        .await;
    assert_eq!(uploaded.status(), 201);

    let view: Value = app
        .send(Method::GET, &format!("/views/runs/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["title"],
        json!(format!("{HOSTILE} Board")),
        "the title is data, escaped where shown"
    );
    let sections = view["sections"].as_array().unwrap();
    let ids: Vec<&str> = sections.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for wanted in [
        "overview",
        "timeline",
        "actions",
        "questions",
        "refine",
        "architecture",
        "requirements",
        "plan",
    ] {
        assert!(ids.contains(&wanted), "{wanted} in {ids:?}");
    }
    let all_html: String = sections
        .iter()
        .map(|s| s["html"].as_str().unwrap())
        .collect();
    assert!(!all_html.contains("<script"), "no script element");
    assert!(!all_html.contains("<img"), "no image element");
    assert!(!all_html.to_lowercase().contains("javascript:"));
    assert!(all_html.contains("Summary &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(all_html.contains("&quot;&gt;&lt;img src=x onerror=alert(3)&gt; item"));
    let architecture = sections.iter().find(|s| s["id"] == "architecture").unwrap()["html"]
        .as_str()
        .unwrap();
    assert!(architecture.contains("<svg"), "the diagram is rendered");
    assert!(architecture.contains("Web &lt;script&gt;alert(1)&lt;/script&gt;"));
    let plan = sections.iter().find(|s| s["id"] == "plan").unwrap()["html"]
        .as_str()
        .unwrap();
    assert!(plan.contains("<svg"), "the issue graph is rendered");
    let first_item = pack["implementation"]["github_issue_plan"][0]["id"]
        .as_str()
        .unwrap();
    assert!(plan.contains(first_item));

    let rows: Value = app
        .send(Method::GET, "/views/runs", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows["total"], 1);
    let row = &rows["runs"][0];
    assert_eq!(row["run_id"], json!(id));
    assert_eq!(row["short_id"], json!(&id[..8]));
    assert_eq!(row["revision"], 1);
    assert_eq!(row["status"], "created");
    assert_eq!(row["title"], json!(format!("{HOSTILE} Board")));
}
