//! What the model-provider stand-ins (Anthropic, OpenAI-compatible) have in
//! common, kept in one place so they cannot drift apart: a loopback server
//! that stops when dropped, a behaviour script (a global queue, queues per
//! tool or schema name, then a responder) and a request log.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::anthropic::example_for_schema;

/// Builds an answer from `(tool or schema name, its schema, the whole request body)`.
pub type Responder = Arc<dyn Fn(&str, &Value, &Value) -> Value + Send + Sync>;

/// An axum app served on `127.0.0.1:0`; the task is aborted on drop so a
/// test's stand-in never outlives it.
pub(crate) struct Loopback {
    pub(crate) addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Loopback {
    /// `name` only labels the log line if the server stops on its own.
    pub(crate) async fn serve(app: Router, name: &'static str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "{name} stand-in stopped");
            }
        });
        Ok(Self { addr, task })
    }

    /// Both providers' clients take a base URL ending in `/v1`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The scripted part of a stand-in: behaviours `B` to replay and requests
/// `R` seen, behind one lock shared by the handle and the handler.
pub(crate) struct Script<B, R> {
    inner: Arc<Mutex<ScriptState<B, R>>>,
}

impl<B, R> Clone for Script<B, R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct ScriptState<B, R> {
    queue: VecDeque<B>,
    per_name: BTreeMap<String, VecDeque<B>>,
    requests: Vec<R>,
    responder: Responder,
}

impl<B, R: Clone> Script<B, R> {
    /// Starts empty, with a responder that answers a schema-shaped example.
    pub(crate) fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(ScriptState {
                queue: VecDeque::new(),
                per_name: BTreeMap::new(),
                requests: Vec::new(),
                responder: Arc::new(|_, schema, _| example_for_schema(schema)),
            })),
        }
    }

    /// A test that panicked while holding the lock must not hide the log
    /// from the next assertion.
    fn lock(&self) -> MutexGuard<'_, ScriptState<B, R>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn push(&self, behaviour: B) {
        self.lock().queue.push_back(behaviour);
    }

    pub(crate) fn push_for(&self, name: &str, behaviour: B) {
        self.lock()
            .per_name
            .entry(name.to_owned())
            .or_default()
            .push_back(behaviour);
    }

    pub(crate) fn set_responder(&self, responder: Responder) {
        self.lock().responder = responder;
    }

    /// The behaviour for a request naming `name` (its own queue first, then
    /// the global one; `None` means "ask the responder"), and the responder.
    pub(crate) fn next(&self, name: &str) -> (Option<B>, Responder) {
        let mut state = self.lock();
        let behaviour = state
            .per_name
            .get_mut(name)
            .and_then(VecDeque::pop_front)
            .or_else(|| state.queue.pop_front());
        (behaviour, Arc::clone(&state.responder))
    }

    pub(crate) fn record(&self, request: R) {
        self.lock().requests.push(request);
    }

    pub(crate) fn requests(&self) -> Vec<R> {
        self.lock().requests.clone()
    }
}

/// The `Debug` form and scripting methods of a model stand-in with a
/// `server: Loopback` and a `shared.script: Script`, written once so both
/// stand-ins offer the same ones.
macro_rules! model_stand_in {
    ($stand_in:ident, $behaviour:ty, $request:ty) => {
        impl std::fmt::Debug for $stand_in {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($stand_in))
                    .field("addr", &self.server.addr)
                    .finish_non_exhaustive()
            }
        }

        impl $stand_in {
            /// Queues a behaviour for the next request, whatever it names.
            pub fn push(&self, behaviour: $behaviour) {
                self.shared.script.push(behaviour);
            }

            /// Queues a behaviour for the next request naming `name` (the
            /// forced tool, or the response schema); these queues are served
            /// before the global one.
            pub fn push_for(&self, name: &str, behaviour: $behaviour) {
                self.shared.script.push_for(name, behaviour);
            }

            /// Replaces the responder used when no behaviour is queued.
            pub fn set_responder(&self, responder: $crate::scripted::Responder) {
                self.shared.script.set_responder(responder);
            }

            /// Every request so far, in the order received.
            pub fn requests(&self) -> Vec<$request> {
                self.shared.script.requests()
            }
        }
    };
}
pub(crate) use model_stand_in;

/// Header names in lower case, values as text (empty when not UTF-8).
pub(crate) fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_lowercase(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Both providers send `retry-after` in whole seconds.
pub(crate) fn set_retry_after(response: &mut Response, retry_after: Option<u64>) {
    if let Some(seconds) = retry_after {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert("retry-after", value);
        }
    }
}
