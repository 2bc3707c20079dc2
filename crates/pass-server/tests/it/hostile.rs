//! The server under hostile clients, over raw sockets: clients that never
//! finish their request head or body, that stop reading answers, that send
//! oversized targets and headers or garbage, and 1,100 idle connections
//! against a process with few file descriptors. Plus the start-up refusal
//! of a placeholder token and `/healthz`'s degraded states.
//!
//! Timeouts here are small and configured per server; every bound a test
//! waits on is generous (tens of seconds) so that a loaded machine is slow,
//! not flaky, and no assertion depends on something happening *late*
//! except where the server cannot possibly have answered yet.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

use crate::support::{TOKEN, TempDir, TestApp, env, expect_error, run_input, spawn_app};

/// How long any test waits for something that should happen at once.
const PATIENCE: Duration = Duration::from_secs(30);

fn addr(app: &TestApp) -> SocketAddr {
    app.server.as_ref().unwrap().local_addr
}

/// Reads until the peer closes (EOF or reset) and answers what came, or
/// panics after [`PATIENCE`].
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the server kept the connection open for {PATIENCE:?}; got {:?}",
                String::from_utf8_lossy(&received)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return received,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one HTTP answer with a `Content-Length` body: (status, body).
async fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let answer = async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed before a whole answer: {:?}",
                String::from_utf8_lossy(&received)
            );
            received.extend_from_slice(&buf[..n]);
            let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8(received[..end].to_vec()).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let body = &received[end + 4..];
            if body.len() >= length {
                let status = head[9..12].parse().unwrap();
                return (status, String::from_utf8(body[..length].to_vec()).unwrap());
            }
        }
    };
    tokio::time::timeout(PATIENCE, answer).await.unwrap()
}

/// The start of a `POST /runs` whose body is `length` bytes, of which the
/// head only is sent; the client waits for `100 Continue`, which hyper sends
/// once the handler reads the body: from then on the request is in flight.
async fn start_slow_post(addr: SocketAddr, length: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /runs HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut line = String::new();
    let mut reader = BufReader::new(&mut stream);
    tokio::time::timeout(PATIENCE, reader.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line:?}");
    line.clear();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "\r\n");
    stream
}

fn run_body() -> String {
    serde_json::to_string(&run_input(None)).unwrap()
}

#[tokio::test]
async fn a_client_that_sends_no_request_head_in_time_is_disconnected() {
    let app = spawn_app(&[("PASS_HEADER_READ_TIMEOUT_MS", "500")]).await;
    // Nothing at all, then half a head: both are dropped without an answer.
    for sent in ["", "GET /healthz HTTP/1.1\r\nHost: x\r\n"] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
        stream.write_all(sent.as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut stream).await;
        assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
        assert!(started.elapsed() >= Duration::from_millis(450));
    }
    // A keep-alive connection is closed the same way after its answer.
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, _) = read_answer(&mut stream).await;
    assert_eq!(status, 200);
    assert!(read_until_closed(&mut stream).await.is_empty());
    // A client that sends its head in time is served.
    assert_eq!(app.get_public("/healthz").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let app = spawn_app(&[("PASS_REQUEST_BODY_TIMEOUT_MS", "500")]).await;
    let body = run_body();
    let mut stream = start_slow_post(addr(&app), body.len()).await;
    // A third of the body, then silence.
    stream
        .write_all(&body.as_bytes()[..body.len() / 3])
        .await
        .unwrap();
    let (status, text) = read_answer(&mut stream).await;
    assert_eq!(status, 408, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"], "request_timeout", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("500 ms"),
        "{error}"
    );
    // Nothing was created, and a body sent in time is fine.
    assert_eq!(app.client.list_runs(None, None).await.unwrap().total, 0);
    app.new_run().await;
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_an_answer_is_dropped() {
    let app = spawn_app(&[("PASS_WRITE_TIMEOUT_MS", "300")]).await;
    let id = app.new_run().await;
    // 8 MiB: more than the server's socket buffer (at most 4 MiB) and the
    // client's (kept small below) hold together.
    let payload = "x".repeat(8 * 1024 * 1024);
    let response = app.upload(id, "big", "text/markdown", json!(payload)).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr(&app)).await.unwrap();
    let request = format!(
        "GET /runs/{id}/artifacts/big?raw=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Once the answer has started to arrive (peeked, not read), read nothing
    // for well over the write timeout, then everything there is.
    let mut peeked = [0u8; 1024];
    tokio::time::timeout(PATIENCE, stream.peek(&mut peeked))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = read_until_closed(&mut stream).await;
    assert!(
        received.len() < payload.len(),
        "the whole answer ({} bytes) waited for a client that read nothing",
        received.len()
    );
    // The server is fine, and a reading client gets the whole file.
    let response = app
        .send(
            Method::GET,
            &format!("/runs/{id}/artifacts/big?raw=true"),
            None,
        )
        .await;
    assert_eq!(response.bytes().await.unwrap().len(), payload.len());
    app.stop().await;
}

#[tokio::test]
async fn oversized_targets_and_headers_get_the_contracts_json_errors() {
    let app = spawn_app(&[]).await;
    // 10 KiB of query: over the router's 8 KiB, under hyper's 64 KiB.
    let long = app.url(&format!("/runs?cursor={}", "a".repeat(10 * 1024)));
    let response = app.http.get(&long).bearer_auth(TOKEN).send().await.unwrap();
    let body = expect_error(response, 414, "uri_too_long").await;
    assert!(body["message"].as_str().unwrap().contains("8192"), "{body}");
    // Also on routes that do not exist and without a token.
    let response = app
        .http
        .get(app.url(&format!("/{}", "p".repeat(9000))))
        .send()
        .await
        .unwrap();
    expect_error(response, 414, "uri_too_long").await;

    // One 40 KiB header.
    let response = app
        .authed(Method::GET, "/runs")
        .header("x-filler", "f".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    expect_error(response, 431, "headers_too_large").await;
    // 120 small headers: over the router's 100, under hyper's 256.
    let mut request = app.authed(Method::GET, "/runs");
    for n in 0..120 {
        request = request.header(format!("x-h{n}"), "1");
    }
    let response = request.send().await.unwrap();
    expect_error(response, 431, "headers_too_large").await;

    // Within the limits all is as before.
    let response = app
        .authed(Method::GET, "/runs")
        .header("x-filler", "f".repeat(16 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.stop().await;
}

/// A known limit, pinned so a change is noticed: bytes that are not HTTP
/// never reach the router, and hyper answers them itself, with an empty
/// body (see `pass_server::http`).
#[tokio::test]
async fn garbage_is_answered_by_hyper_with_an_empty_400_and_the_server_carries_on() {
    let app = spawn_app(&[]).await;
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"[..],
        b"HELLO THERE\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ] {
        let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let answer = String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
        assert!(answer.ends_with("\r\n\r\n"), "a body: {answer:?}");
    }
    assert_eq!(app.get_public("/healthz").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn at_the_connection_limit_busy_connections_are_kept_and_new_ones_wait() {
    let app = spawn_app(&[
        ("PASS_MAX_CONNECTIONS", "2"),
        ("PASS_REQUEST_BODY_TIMEOUT_MS", "120000"),
    ])
    .await;
    let body = run_body();
    let mut first = start_slow_post(addr(&app), body.len()).await;
    let mut second = start_slow_post(addr(&app), body.len()).await;

    // Both slots hold a request in flight: the third connection is accepted
    // by the kernel but not served, and not closed either.
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_secs(1), third.read(&mut byte)).await;
    assert!(early.is_err(), "answered past the limit: {early:?}");

    // The first request ends: its slot goes to the third connection.
    first.write_all(body.as_bytes()).await.unwrap();
    let (status, text) = read_answer(&mut first).await;
    assert_eq!(status, 201, "{text}");
    drop(first);
    let (status, text) = read_answer(&mut third).await;
    assert_eq!(status, 200, "{text}");
    second.write_all(body.as_bytes()).await.unwrap();
    let (status, text) = read_answer(&mut second).await;
    assert_eq!(status, 201, "{text}");
    app.stop().await;
}

#[tokio::test]
async fn at_the_connection_limit_idle_connections_make_room() {
    let app = spawn_app(&[
        ("PASS_MAX_CONNECTIONS", "3"),
        ("PASS_HEADER_READ_TIMEOUT_MS", "600000"),
    ])
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    // Far from its head timeout, the oldest idle connection is closed so
    // that the new request is served.
    let response = tokio::time::timeout(PATIENCE, app.get_public("/healthz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let closed = read_until_closed(&mut idle[0]).await;
    assert!(closed.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_finishes_requests_in_flight() {
    let mut app = spawn_app(&[("PASS_HEADER_READ_TIMEOUT_MS", "600000")]).await;
    let server_addr = addr(&app);
    let mut idle = TcpStream::connect(server_addr).await.unwrap();
    let mut half_head = TcpStream::connect(server_addr).await.unwrap();
    half_head
        .write_all(b"GET /runs HTTP/1.1\r\n")
        .await
        .unwrap();
    let body = run_body();
    let mut in_flight = start_slow_post(server_addr, body.len()).await;

    let server = app.server.take().unwrap();
    let shutdown = tokio::spawn(server.shutdown());
    // Idle connections are closed at once, whatever their head timeout.
    assert!(read_until_closed(&mut idle).await.is_empty());
    assert!(read_until_closed(&mut half_head).await.is_empty());
    // The request in flight is finished, then the server stops.
    assert!(!shutdown.is_finished());
    in_flight.write_all(body.as_bytes()).await.unwrap();
    let (status, text) = read_answer(&mut in_flight).await;
    assert_eq!(status, 201, "{text}");
    tokio::time::timeout(PATIENCE, shutdown)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn healthz_answers_while_1100_idle_connections_are_open_in_a_process_with_512_files() {
    let limit = pass_server::http::raise_nofile_limit();
    if limit.is_some_and(|l| l < 2048) {
        eprintln!("skipped: this test process may open only {limit:?} files");
        return;
    }
    let root = TempDir::new("idle-flood");
    let runs_dir = root.path().join("runs");
    // The server gets 512 descriptors (so a connection limit of 384) and a
    // head timeout that never fires here: only the limit keeps it up.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 512 && exec \"$0\"")
        .arg(env!("CARGO_BIN_EXE_pass-server"))
        .current_dir(root.path())
        .env("PASS_API_TOKEN", TOKEN)
        .env("RUNS_DIR", &runs_dir)
        .env("PASS_BIND", "127.0.0.1:0")
        .env("PASS_EXECUTION_BACKEND", "local")
        .env("PASS_AGENT_BIN_DIR", "/nonexistent-pass-agents")
        .env("PASS_HEADER_READ_TIMEOUT_MS", "600000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let server: SocketAddr = line.strip_prefix("listening on ").unwrap().parse().unwrap();

    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..1100 {
        opening
            .spawn(async move { tokio::time::timeout(PATIENCE, TcpStream::connect(server)).await });
    }
    let mut idle = Vec::new();
    while let Some(opened) = opening.join_next().await {
        if let Ok(Ok(stream)) = opened.unwrap() {
            idle.push(stream);
        }
    }
    assert_eq!(idle.len(), 1100, "connections the kernel did not complete");

    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let health: Value = http
        .get(format!("http://{server}/healthz"))
        .send()
        .await
        .expect("/healthz did not answer")
        .json()
        .await
        .unwrap();
    assert_eq!(health["store"]["status"], "ok", "{health}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // A write still works, and the server stops cleanly.
    let client = crate::support::client_for(&format!("http://{server}")).with_retries(0);
    client.create_run(&run_input(None)).await.unwrap();
    drop(idle);
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().unwrap().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn healthz_is_degraded_without_a_token() {
    let app = spawn_app(&[("PASS_API_TOKEN", "")]).await;
    let response = app.get_public("/healthz").await;
    assert_eq!(response.status(), 200, "degraded is still alive");
    let health: Value = response.json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["auth"]["token"], "missing", "{health}");
    let reasons = health["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{health}");
    assert!(reasons[0].as_str().unwrap().contains("PASS_API_TOKEN"));
    // The fields other clients read are still there.
    assert_eq!(health["store"]["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["execution_backend"], "local");
    app.stop().await;

    let app = spawn_app(&[]).await;
    let health = app.get_public_json("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["reasons"], json!([]));
    assert_eq!(health["auth"]["token"], "set");
    assert_eq!(health["disk"]["status"], "ok", "{health}");
    app.stop().await;
}

#[tokio::test]
async fn healthz_is_degraded_when_the_runs_folder_is_short_of_space() {
    // A minimum no disk here has: the same as a disk that filled up.
    let app = spawn_app(&[("PASS_MIN_FREE_DISK_BYTES", "9000000000000000000")]).await;
    let health = app.get_public_json("/healthz").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["disk"]["status"], "low", "{health}");
    assert!(health["disk"]["available_bytes"].as_u64().unwrap() > 0);
    let reasons = health["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{health}");
    let reason = reasons[0].as_str().unwrap();
    assert!(reason.contains("PASS_MIN_FREE_DISK_BYTES"), "{reason}");
    assert!(
        !reason.contains(&*app.runs_dir.to_string_lossy()),
        "{reason}"
    );
    app.stop().await;
}

#[tokio::test]
async fn start_refuses_a_placeholder_or_missing_token_beyond_loopback() {
    let dir = TempDir::new("token-policy");
    let config = |pairs: &[(&str, &str)]| {
        let mut vars = env(&[
            ("RUNS_DIR", &dir.path().display().to_string()),
            ("PASS_AGENT_BIN_DIR", "/nonexistent-pass-agents"),
        ]);
        vars.extend(env(pairs));
        pass_server::ServerConfig::from_lookup(|name| vars.get(name).cloned()).unwrap()
    };
    for (token, named) in [
        (
            pass_server::ENV_EXAMPLE_TOKEN,
            "placeholder from .env.example",
        ),
        ("", "not set"),
    ] {
        for bind in ["0.0.0.0:0", "[::]:0"] {
            let error =
                pass_server::start(config(&[("PASS_API_TOKEN", token), ("PASS_BIND", bind)]))
                    .await
                    .unwrap_err();
            assert!(
                matches!(error, pass_server::ServerError::UnsafeToken { .. }),
                "{error}"
            );
            let message = error.to_string();
            assert!(message.contains("refusing to start"), "{message}");
            assert!(message.contains(named), "{message}");
            assert!(message.contains("127.0.0.1"), "{message}");
        }
        // Loopback only: it starts (and warns).
        let server = pass_server::start(config(&[
            ("PASS_API_TOKEN", token),
            ("PASS_BIND", "127.0.0.1:0"),
        ]))
        .await
        .unwrap();
        server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn the_binary_refuses_the_placeholder_token_on_all_interfaces_and_warns_on_loopback() {
    let root = TempDir::new("token-binary");
    let spawn = |bind: &str| {
        Command::new(env!("CARGO_BIN_EXE_pass-server"))
            .current_dir(root.path())
            .env("PASS_API_TOKEN", pass_server::ENV_EXAMPLE_TOKEN)
            .env("RUNS_DIR", root.path().join("runs"))
            .env("PASS_BIND", bind)
            .env("PASS_EXECUTION_BACKEND", "local")
            .env("PASS_AGENT_BIN_DIR", "/nonexistent-pass-agents")
            .env("RUST_LOG", "warn")
            .env("PASS_LOG_FORMAT", "text")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let child = spawn("0.0.0.0:0");
    let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refusing to start"), "{stderr}");
    assert!(stderr.contains("placeholder from .env.example"), "{stderr}");
    // Said once, in words: no second copy in a log line or in Debug form.
    assert_eq!(stderr.matches("refusing to start").count(), 1, "{stderr}");
    assert!(!stderr.contains("UnsafeToken"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening on"));

    let mut child = spawn("127.0.0.1:0");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(PATIENCE, stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(line.starts_with("listening on 127.0.0.1:"), "{line}");
    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INSECURE"), "{stderr}");
    assert!(stderr.contains("loopback only"), "{stderr}");
}
