//! The link `pass serve` and `pass demo --open` print: the console's address
//! with the token in the URL fragment, which browsers never send to a server.
//! The page moves it into the tab's session storage and drops it from the
//! address bar.

use std::process::{Command, Stdio};

use url::Url;
use uuid::Uuid;

/// `http://host:port/ui/` (or a run's page) with `#token=…`. An unspecified
/// bind address becomes loopback so the link opens on this machine.
pub fn console_link(base: &Url, token: &str, run: Option<Uuid>) -> String {
    let mut base = base.clone();
    if base.host_str() == Some("0.0.0.0") {
        let _ = base.set_host(Some("127.0.0.1"));
    } else if base.host_str() == Some("[::]") {
        let _ = base.set_host(Some("[::1]"));
    }
    let path = match run {
        Some(run_id) => format!("ui/runs/{run_id}"),
        None => "ui/".to_owned(),
    };
    let page = base.join(&path).unwrap_or(base);
    format!("{page}#token={}", encode_fragment(token))
}

/// Percent-encodes everything but unreserved characters.
fn encode_fragment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Opens `link` in the desktop's browser (`xdg-open` or `open`); false when
/// there is none, so the caller prints the link instead.
pub fn open_in_browser(link: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    Command::new(opener)
        .arg(link)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_rides_in_the_fragment_encoded() {
        let base = Url::parse("http://0.0.0.0:3001/").unwrap();
        assert_eq!(
            console_link(&base, "a b&c#d", None),
            "http://127.0.0.1:3001/ui/#token=a%20b%26c%23d"
        );
        let run = Uuid::nil();
        let link = console_link(&Url::parse("http://127.0.0.1:9/").unwrap(), "t", Some(run));
        assert_eq!(link, format!("http://127.0.0.1:9/ui/runs/{run}#token=t"));
        let parsed = Url::parse(&link).unwrap();
        assert_eq!(parsed.query(), None);
        assert_eq!(parsed.fragment(), Some("token=t"));
    }
}
