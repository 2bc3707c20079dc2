//! The offline architect: an architecture shaped by the kind of product the
//! PRD describes and the stack it names, fitted to the org constraints, plus
//! the refinement and implementation overview built on it.

use std::collections::BTreeSet;

use pass_contracts::OrgConstraints;
use pass_contracts::org::{
    ApiFramework, ArchitecturePreference, CloudProvider, PrimaryDb, Strictness, WebFramework,
};
use pass_contracts::pack::{
    Availability, ComponentType, Criticality, DataSensitivity, Latency, Scale,
};

use super::catalogue::{Category, SERVICES};
use super::product::{Layer, Product, ProductKind};
use super::text::{cut_words, has_word};
use crate::sections::{
    ArchitectureDraft, ArchitectureStyle, ComponentDraft, DataFlowDraft, ImplementationDraft,
    IntegrationDraft, LogicRequirementDraft, NfrsDraft, RefinementDraft, RequirementDraft,
};

/// The managed service for a component kind on a cloud, as `allowed_services` names it.
pub fn cloud_service(provider: CloudProvider, kind: ComponentType, tech: &str) -> &'static str {
    use ComponentType::*;
    match (provider, kind) {
        (CloudProvider::None, _) => "",
        (CloudProvider::Aws, Db) if tech == "dynamodb" => "dynamodb",
        (CloudProvider::Aws, Db) => "rds",
        (CloudProvider::Aws, Queue) => "sqs",
        (CloudProvider::Aws, ObjectStorage) => "s3",
        (CloudProvider::Aws, Cache) => "elasticache",
        (CloudProvider::Aws, AuthProvider) => "cognito",
        (CloudProvider::Aws, Web | Api | Worker) => "ecs",
        (CloudProvider::Gcp, Db) => "cloudsql",
        (CloudProvider::Gcp, Queue) => "pubsub",
        (CloudProvider::Gcp, ObjectStorage) => "gcs",
        (CloudProvider::Gcp, Cache) => "memorystore",
        (CloudProvider::Gcp, AuthProvider) => "identity-platform",
        (CloudProvider::Gcp, Web | Api | Worker) => "cloudrun",
        (CloudProvider::Azure, Db) => "azure-database",
        (CloudProvider::Azure, Queue) => "service-bus",
        (CloudProvider::Azure, ObjectStorage) => "blob-storage",
        (CloudProvider::Azure, Cache) => "azure-cache",
        (CloudProvider::Azure, AuthProvider) => "entra-id",
        (CloudProvider::Azure, Web | Api | Worker) => "container-apps",
        (_, ExternalIntegration) => "",
    }
}

pub fn web_tech(web: WebFramework) -> &'static str {
    match web {
        WebFramework::Nextjs => "nextjs",
        WebFramework::React => "react",
        WebFramework::None => "none",
    }
}

pub fn api_tech(api: ApiFramework) -> &'static str {
    match api {
        ApiFramework::Fastify => "fastify",
        ApiFramework::Express => "express",
        ApiFramework::Nestjs => "nestjs",
    }
}

pub fn db_tech(db: PrimaryDb) -> &'static str {
    match db {
        PrimaryDb::Postgres => "postgres",
        PrimaryDb::Mysql => "mysql",
        PrimaryDb::Sqlite => "sqlite",
        PrimaryDb::Dynamodb => "dynamodb",
    }
}

/// How people write a technology key.
pub fn pretty(tech: &str) -> &str {
    if let Some(t) = super::product::STACK.iter().find(|t| t.key == tech) {
        return t.name;
    }
    match tech {
        "nextjs" => "Next.js",
        "react" => "React",
        "fastify" => "Fastify",
        "express" => "Express",
        "nestjs" => "NestJS",
        "postgres" => "PostgreSQL",
        "mysql" => "MySQL",
        "sqlite" => "SQLite",
        "dynamodb" => "DynamoDB",
        other => other,
    }
}

/// A technology picked for one layer, and where the pick came from.
#[derive(Debug, Clone)]
struct Pick {
    key: String,
    name: String,
    from_prd: bool,
}

/// What the architecture needs from the rest of the reading.
#[derive(Debug)]
pub struct ArchitectureInput<'a> {
    pub title: Option<&'a str>,
    pub product: &'a Product,
    pub integrations: &'a [IntegrationDraft],
    pub nfrs: &'a NfrsDraft,
    pub constraints: &'a [String],
    pub has_requirements: bool,
    pub org: &'a OrgConstraints,
}

/// The architecture, the assumptions it made, and the stack conflicts to
/// clarify (question, answer).
#[derive(Debug)]
pub struct Designed {
    pub architecture: ArchitectureDraft,
    pub notes: Vec<String>,
    pub conflicts: Vec<(String, String)>,
}

struct Builder {
    components: Vec<ComponentDraft>,
    flows: Vec<DataFlowDraft>,
}

impl Builder {
    fn add(
        &mut self,
        name: &str,
        kind: ComponentType,
        technology: &str,
        cloud: String,
        public: bool,
        responsibility: &str,
    ) -> String {
        self.components.push(ComponentDraft {
            name: name.to_owned(),
            kind,
            technology: technology.to_owned(),
            cloud_service: cloud,
            publicly_accessible: public,
            responsibility: responsibility.to_owned(),
        });
        name.to_owned()
    }

    fn flow(&mut self, from: &str, to: &str, description: &str) {
        if from != to && !from.is_empty() && !to.is_empty() {
            self.flows.push(DataFlowDraft {
                from: from.to_owned(),
                to: to.to_owned(),
                description: description.to_owned(),
            });
        }
    }

    fn first(&self, kind: ComponentType) -> Option<String> {
        self.components
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.name.clone())
    }

    fn count(&self, kind: ComponentType) -> usize {
        self.components.iter().filter(|c| c.kind == kind).count()
    }
}

pub fn architecture(input: &ArchitectureInput<'_>) -> Designed {
    let org = input.org;
    let product = input.product;
    let strict = org.strictness == Strictness::Strict;
    let mut notes = Vec::new();
    let mut conflicts = Vec::new();
    let kind = product.kind;
    let local = matches!(kind, ProductKind::LocalApp | ProductKind::Cli)
        || product.no_network
        || kind == ProductKind::Game && !product.signals.auth;
    let provider = if local {
        CloudProvider::None
    } else {
        org.cloud.provider
    };
    let allowed: BTreeSet<String> = org
        .cloud
        .allowed_services
        .iter()
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut unhosted: BTreeSet<&'static str> = BTreeSet::new();
    let mut service_for = |kind: ComponentType, tech: &str| -> String {
        let service = cloud_service(provider, kind, tech);
        if service.is_empty() || allowed.contains(service) {
            service.to_owned()
        } else {
            unhosted.insert(service);
            String::new()
        }
    };

    // One technology per layer: the PRD's under `prefer`, the org's under `strict`.
    let mut pick = |layer: Layer, key: &str, org_key: &'static str, label: &str| -> Pick {
        let named = product.named(layer);
        match named {
            Some(tech) if tech.key != org_key && strict => {
                conflicts.push((
                    format!("The PRD names {} for the {label}, but the org's {key} is {}: which should the plan use?", tech.name, pretty(org_key)),
                    format!("{}: the org constraints are strict, so the plan uses the org's choice; changing it needs the org's agreement.", pretty(org_key)),
                ));
                Pick {
                    key: org_key.to_owned(),
                    name: pretty(org_key).to_owned(),
                    from_prd: false,
                }
            }
            Some(tech) => {
                if tech.key != org_key {
                    notes.push(format!(
                        "The PRD names {} for the {label}; the plan keeps it instead of the org default {} ({key}, strictness: prefer).",
                        tech.name,
                        pretty(org_key)
                    ));
                }
                Pick {
                    key: tech.key.to_owned(),
                    name: tech.name.to_owned(),
                    from_prd: true,
                }
            }
            None => Pick {
                key: org_key.to_owned(),
                name: pretty(org_key).to_owned(),
                from_prd: false,
            },
        }
    };
    let web = pick(
        Layer::Web,
        "stack.web",
        web_tech(org.stack.web),
        "web front end",
    );
    let api = pick(Layer::Api, "stack.api", api_tech(org.stack.api), "API");
    let db = pick(
        Layer::Db,
        "stack.primary_db",
        db_tech(org.stack.primary_db),
        "database",
    );
    let language = match product.named(Layer::Language) {
        Some(l) if !strict => Pick {
            key: l.key.to_owned(),
            name: l.name.to_owned(),
            from_prd: true,
        },
        _ => Pick {
            key: language_tech(org).to_owned(),
            name: language_name(org).to_owned(),
            from_prd: false,
        },
    };
    let named = |layer: Layer| {
        product.named(layer).map(|t| Pick {
            key: t.key.to_owned(),
            name: t.name.to_owned(),
            from_prd: true,
        })
    };

    let mut b = Builder {
        components: Vec::new(),
        flows: Vec::new(),
    };
    let s = product.signals;
    let web_allowed = org.stack.web != WebFramework::None || !strict;
    let mut async_patterns = Vec::new();
    let mut api_surface = Vec::new();
    let main: String;
    match kind {
        ProductKind::LocalApp => {
            let shell = named(Layer::Desktop);
            // With no shell or web framework named, the desktop UI is written
            // in the product's language: the org's default *web* framework
            // says nothing about how a desktop app draws its windows.
            let (ui_name, ui_tech) = match (&shell, web.from_prd) {
                (Some(shell), true) => (
                    format!("Desktop app ({} + {})", shell.name, web.name),
                    shell.key.clone(),
                ),
                (Some(shell), false) => {
                    (format!("Desktop app ({})", shell.name), shell.key.clone())
                }
                (None, true) => (format!("Desktop app ({})", web.name), web.key.clone()),
                (None, false) => (
                    format!("Desktop app ({})", language.name),
                    language.key.clone(),
                ),
            };
            let core_lang = if shell.as_ref().is_some_and(|s| s.key == "tauri")
                && !language.from_prd
                && !strict
            {
                Pick {
                    key: "rust".to_owned(),
                    name: "Rust".to_owned(),
                    from_prd: false,
                }
            } else {
                language.clone()
            };
            let ui = if web_allowed {
                b.add(
                    &ui_name,
                    ComponentType::Web,
                    &ui_tech,
                    String::new(),
                    false,
                    "Windows and views on the user's machine; calls the core in-process",
                )
            } else {
                String::new()
            };
            main = b.add(
                &format!("Core logic ({})", core_lang.name),
                ComponentType::Api,
                &core_lang.key,
                String::new(),
                false,
                "The product's use cases, run locally inside the app",
            );
            b.flow(&ui, &main, "In-process commands and events");
            let store_key = if db.from_prd || strict {
                db.key.clone()
            } else {
                "sqlite".to_owned()
            };
            let store = b.add(
                &format!("Local database ({})", pretty(&store_key)),
                ComponentType::Db,
                &store_key,
                String::new(),
                false,
                "Keeps the user's data on their own machine",
            );
            b.flow(&main, &store, "Reads and writes local records");
            if s.files {
                let files = b.add(
                    "Local file folder",
                    ComponentType::ObjectStorage,
                    "local disk",
                    String::new(),
                    false,
                    "Files the user imports or exports, in a folder they choose",
                );
                b.flow(&main, &files, "Reads and writes files");
            }
            // A phone app named alongside the desktop app ("iPhone companion
            // app") is a second client: plan it, in the mobile toolkit the
            // PRD names, so its screens and sync get work of their own.
            if s.companion_app && web_allowed && !product.no_network {
                let mobile = named(Layer::Mobile).unwrap_or(Pick {
                    key: "react-native".to_owned(),
                    name: "React Native".to_owned(),
                    from_prd: false,
                });
                let phone = b.add(
                    &format!("Phone app ({})", mobile.name),
                    ComponentType::Web,
                    &mobile.key,
                    String::new(),
                    false,
                    "The phone app that goes with the desktop app: shows what it records and receives its alerts",
                );
                b.flow(
                    &main,
                    &phone,
                    "Sends updates and alerts to the paired phone",
                );
            }
            if product.no_network {
                notes.push("The PRD forbids network traffic: every component runs on the user's machine, with no cloud service, account or external call.".to_owned());
            }
        }
        ProductKind::Cli => {
            main = b.add(
                &format!("CLI ({})", language.name),
                ComponentType::Api,
                &language.key,
                String::new(),
                false,
                "Parses commands and flags and runs the product's use cases",
            );
            if s.web_ui && web_allowed {
                // A CLI that serves a local page: an embedded server and the page it serves.
                let server = b.add(
                    &format!("Local web server ({})", api.name),
                    ComponentType::Api,
                    &api.key,
                    String::new(),
                    false,
                    "Serves the local page and its JSON API on localhost",
                );
                let page = b.add(
                    &format!("Local web UI ({})", web.name),
                    ComponentType::Web,
                    &web.key,
                    String::new(),
                    false,
                    "The page the command opens in the browser",
                );
                b.flow(&main, &server, "Starts the server");
                b.flow(&page, &server, "HTTP JSON requests on localhost");
            }
            if s.database || db.from_prd {
                let store_key = if db.from_prd || strict {
                    db.key.clone()
                } else {
                    "sqlite".to_owned()
                };
                let store = b.add(
                    &format!("Local store ({})", pretty(&store_key)),
                    ComponentType::Db,
                    &store_key,
                    String::new(),
                    false,
                    "State kept between runs",
                );
                b.flow(&main, &store, "Reads and writes local state");
            } else {
                notes.push("The PRD names no data store; the command works on files the user points it at, so no database is planned.".to_owned());
            }
        }
        ProductKind::Mobile => {
            let app = named(Layer::Mobile).unwrap_or(Pick {
                key: "react-native".to_owned(),
                name: "React Native".to_owned(),
                from_prd: false,
            });
            let ui = if web_allowed {
                b.add(
                    &format!("Mobile app ({})", app.name),
                    ComponentType::Web,
                    &app.key,
                    String::new(),
                    true,
                    "Screens on the phone; works from a local cache when offline",
                )
            } else {
                String::new()
            };
            main = b.add(
                &format!("API ({})", api.name),
                ComponentType::Api,
                &api.key,
                service_for(ComponentType::Api, &api.key),
                true,
                "Validates requests from the app and runs the use cases",
            );
            b.flow(&ui, &main, "HTTPS JSON requests");
            api_surface.push("GET /health".to_owned());
        }
        ProductKind::ChatBot => {
            main = b.add(
                &format!("Channel webhook API ({})", api.name),
                ComponentType::Api,
                &api.key,
                service_for(ComponentType::Api, &api.key),
                true,
                "Receives messages and call events from the channels and answers quickly",
            );
            api_surface.push("POST /webhooks/<channel> for inbound messages".to_owned());
            api_surface.push("GET /health".to_owned());
            if s.web_ui && web_allowed {
                let admin = b.add(
                    &format!("Admin dashboard ({})", web.name),
                    ComponentType::Web,
                    &web.key,
                    service_for(ComponentType::Web, &web.key),
                    true,
                    "Staff review conversations and settings",
                );
                b.flow(&admin, &main, "HTTPS JSON requests");
            }
        }
        ProductKind::DataPipeline => {
            main = b.add(
                &format!("Pipeline runner ({})", language.name),
                ComponentType::Worker,
                &language.key,
                service_for(ComponentType::Worker, ""),
                false,
                "Runs the ingestion, transformation and model steps on a schedule",
            );
            let raw = service_for(ComponentType::ObjectStorage, "");
            let lake = b.add(
                "Raw data storage",
                ComponentType::ObjectStorage,
                if raw.is_empty() { "local disk" } else { &raw },
                raw.clone(),
                false,
                "Keeps raw inputs and intermediate files",
            );
            b.flow(&main, &lake, "Reads inputs and writes intermediate files");
            if s.web_ui && web_allowed {
                let results = b.add(
                    &format!("Results API ({})", api.name),
                    ComponentType::Api,
                    &api.key,
                    service_for(ComponentType::Api, &api.key),
                    true,
                    "Serves results to the dashboard",
                );
                let dash = b.add(
                    &format!("Dashboard ({})", web.name),
                    ComponentType::Web,
                    &web.key,
                    service_for(ComponentType::Web, &web.key),
                    true,
                    "Shows pipeline runs and results",
                );
                b.flow(&dash, &results, "HTTPS JSON requests");
            }
        }
        ProductKind::Game => {
            let engine = named(Layer::Engine).unwrap_or(Pick {
                key: web.key.clone(),
                name: web.name.clone(),
                from_prd: false,
            });
            let client = if web_allowed {
                b.add(
                    &format!("Game client ({})", engine.name),
                    ComponentType::Web,
                    &engine.key,
                    String::new(),
                    !local,
                    "Rendering, input and the game loop",
                )
            } else {
                String::new()
            };
            if local {
                main = b.add(
                    &format!("Game logic ({})", engine.name),
                    ComponentType::Api,
                    &engine.key,
                    String::new(),
                    false,
                    "Rules, levels and saves, in the client process",
                );
                b.flow(&client, &main, "In-process calls");
            } else {
                main = b.add(
                    &format!("Game server ({})", api.name),
                    ComponentType::Api,
                    &api.key,
                    service_for(ComponentType::Api, &api.key),
                    true,
                    "Accounts, matches and leaderboards",
                );
                b.flow(
                    &client,
                    &main,
                    if s.realtime {
                        "WebSocket game state"
                    } else {
                        "HTTPS JSON requests"
                    },
                );
            }
        }
        ProductKind::Embedded => {
            let device = named(Layer::Device).unwrap_or(Pick {
                key: "microcontroller".to_owned(),
                name: "microcontroller".to_owned(),
                from_prd: false,
            });
            let firmware = b.add(
                &format!("Device firmware ({})", device.name),
                ComponentType::Worker,
                &device.key,
                String::new(),
                false,
                "Reads the sensors and drives the actuators on the device",
            );
            main = b.add(
                &format!("Ingestion API ({})", api.name),
                ComponentType::Api,
                &api.key,
                service_for(ComponentType::Api, &api.key),
                true,
                "Receives device telemetry and sends commands",
            );
            b.flow(&firmware, &main, "Telemetry and command acknowledgements");
            if s.web_ui && web_allowed {
                let dash = b.add(
                    &format!("Dashboard ({})", web.name),
                    ComponentType::Web,
                    &web.key,
                    service_for(ComponentType::Web, &web.key),
                    true,
                    "Shows devices and readings",
                );
                b.flow(&dash, &main, "HTTPS JSON requests");
            }
        }
        ProductKind::WebSaas | ProductKind::ApiService => {
            if (kind == ProductKind::WebSaas || s.web_ui) && web_allowed {
                let ui = b.add(
                    &format!("Web app ({})", web.name),
                    ComponentType::Web,
                    &web.key,
                    service_for(ComponentType::Web, &web.key),
                    true,
                    "User interface: renders views and calls the API",
                );
                main = b.add(
                    &format!("API ({})", api.name),
                    ComponentType::Api,
                    &api.key,
                    service_for(ComponentType::Api, &api.key),
                    true,
                    "Validates requests and runs the product's use cases",
                );
                b.flow(
                    &ui,
                    &main,
                    if s.realtime {
                        "HTTPS JSON requests and live updates"
                    } else {
                        "HTTPS JSON requests"
                    },
                );
            } else {
                main = b.add(
                    &format!("API ({})", api.name),
                    ComponentType::Api,
                    &api.key,
                    service_for(ComponentType::Api, &api.key),
                    true,
                    "Validates requests and runs the product's use cases",
                );
            }
            api_surface.push("GET /health".to_owned());
        }
    }

    // Cloud-side data, background work, files, cache and sign-in.
    if !local {
        let store = b.add(
            &format!("Database ({})", db.name),
            ComponentType::Db,
            &db.key,
            service_for(ComponentType::Db, &db.key),
            false,
            "System of record",
        );
        b.flow(&main, &store, "Reads and writes records");
        let wants_worker = !matches!(kind, ProductKind::DataPipeline | ProductKind::Embedded)
            && (kind == ProductKind::ChatBot
                || s.background_work
                || input.nfrs.scale == Scale::Large
                || input
                    .integrations
                    .iter()
                    .any(|i| i.criticality == Criticality::High));
        if wants_worker {
            let queue_service = service_for(ComponentType::Queue, "");
            let queue_tech = product
                .named(Layer::Queue)
                .map(|q| q.key.to_owned())
                .unwrap_or_else(|| {
                    if queue_service.is_empty() {
                        "postgres-backed queue".to_owned()
                    } else {
                        queue_service.clone()
                    }
                });
            let queue = b.add(
                "Job queue",
                ComponentType::Queue,
                &queue_tech,
                queue_service,
                false,
                "Holds background jobs until a worker takes them",
            );
            let worker_name = if kind == ProductKind::ChatBot {
                format!("Conversation worker ({})", language.name)
            } else {
                format!("Worker ({})", language.name)
            };
            let worker = b.add(
                &worker_name,
                ComponentType::Worker,
                &language.key,
                service_for(ComponentType::Worker, ""),
                false,
                if kind == ProductKind::ChatBot {
                    "Runs each conversation turn: context, model calls, replies"
                } else {
                    "Runs slow and external work outside the request path"
                },
            );
            b.flow(&main, &queue, "Enqueues jobs");
            b.flow(&queue, &worker, "Delivers jobs");
            b.flow(&worker, &store, "Records job results");
            async_patterns.push(
                "Background jobs through a queue, retried with backoff and idempotent by job id"
                    .to_owned(),
            );
        }
        if s.files && kind != ProductKind::DataPipeline {
            let service = service_for(ComponentType::ObjectStorage, "");
            if !strict || !service.is_empty() {
                let tech = if service.is_empty() {
                    "object store".to_owned()
                } else {
                    service.clone()
                };
                let files = b.add(
                    "Object storage",
                    ComponentType::ObjectStorage,
                    &tech,
                    service,
                    false,
                    "Stores uploaded files; served through short-lived signed URLs",
                );
                b.flow(&main, &files, "Stores files and signs their URLs");
            }
        }
        if input.nfrs.latency == Latency::Low || input.nfrs.scale == Scale::Large {
            let service = service_for(ComponentType::Cache, "");
            if !service.is_empty() {
                let cache = b.add(
                    "Cache",
                    ComponentType::Cache,
                    "redis",
                    service,
                    false,
                    "Keeps hot reads off the database",
                );
                b.flow(&main, &cache, "Caches hot reads");
            } else {
                notes.push("Low latency is asked for, but no cache service is allowed; the plan relies on database indexes.".to_owned());
            }
        }
        if s.auth && !s.no_auth {
            let identity = input.integrations.iter().find(|i| {
                SERVICES
                    .iter()
                    .any(|s| s.name == i.name && matches!(s.category, Category::Identity))
            });
            let (name, tech) = match identity {
                Some(i) => (format!("Auth provider ({})", i.name), i.name.to_lowercase()),
                None if db.key == "supabase" => (
                    "Auth provider (Supabase Auth)".to_owned(),
                    "supabase".to_owned(),
                ),
                None => ("Auth provider".to_owned(), "oidc".to_owned()),
            };
            let auth = b.add(
                &name,
                ComponentType::AuthProvider,
                &tech,
                service_for(ComponentType::AuthProvider, ""),
                true,
                "Signs users in and issues tokens the API verifies",
            );
            b.flow(&main, &auth, "Verifies sessions and tokens");
        }
    }

    // Each integration the requirements rely on gets its adapter component.
    if !product.no_network {
        let caller = b
            .first(ComponentType::Worker)
            .unwrap_or_else(|| main.clone());
        for integration in input
            .integrations
            .iter()
            .filter(|i| i.criticality != Criticality::Low)
        {
            if b.components.iter().any(|c| {
                c.name == integration.name || c.name.contains(&format!("({})", integration.name))
            }) {
                continue;
            }
            let inbound = matches!(
                integration.direction,
                pass_contracts::pack::Direction::Both | pass_contracts::pack::Direction::Inbound
            );
            let name = b.add(
                &integration.name,
                ComponentType::ExternalIntegration,
                "https",
                String::new(),
                true,
                &integration.purpose,
            );
            let target = if inbound && kind == ProductKind::ChatBot {
                main.clone()
            } else {
                caller.clone()
            };
            b.flow(&target, &name, &integration.purpose);
            if inbound && kind == ProductKind::ChatBot {
                b.flow(&name, &main, "Inbound messages and events by webhook");
            }
        }
    }

    let style = fit_preference(&mut b, org, &language, &main);
    if !unhosted.is_empty() {
        notes.push(format!(
            "The allowed cloud services ({}) do not include {}; those components are planned without a managed service, hosting to be agreed with the platform team.",
            allowed.iter().cloned().collect::<Vec<_>>().join(", "),
            unhosted.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }

    let (pros, cons, mut risks) = tradeoffs(kind, style, product, input);
    if !input.has_requirements {
        risks.push(
            "The PRD states no requirements yet; this architecture is a placeholder to revisit"
                .to_owned(),
        );
    }
    let stack_names: Vec<String> = b
        .components
        .iter()
        .map(|c| c.technology.clone())
        .filter(|t| !matches!(t.as_str(), "https" | "local disk" | "oidc" | "object store"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|t| pretty(&t).to_owned())
        .collect();
    let prd_stack: Vec<&str> = product.stack.iter().map(|t| t.name).collect();
    let rationale = format!(
        "Built as {} because of what the PRD describes{}. Stack: {}{}. {}",
        kind.describe(),
        if product.no_network {
            " and its rule that no data leaves the user's machine"
        } else {
            ""
        },
        stack_names.join(", "),
        if prd_stack.is_empty() {
            " (org defaults: the PRD names no technology)".to_owned()
        } else if strict {
            format!(
                " (the PRD names {}; strict org constraints decide where they differ)",
                prd_stack.join(", ")
            )
        } else {
            format!(
                " (the PRD names {}, kept over the org defaults)",
                prd_stack.join(", ")
            )
        },
        if local {
            "Everything runs on the user's machine; no cloud infrastructure.".to_owned()
        } else {
            format!(
                "Deployed on {}.",
                match org.cloud.provider {
                    CloudProvider::Aws => "AWS",
                    CloudProvider::Gcp => "GCP",
                    CloudProvider::Azure => "Azure",
                    CloudProvider::None => "the team's own hosting",
                }
            )
        }
    );
    let description = format!(
        "{} with {} components: {}.",
        match style {
            ArchitectureStyle::Monolith => "Modular monolith",
            ArchitectureStyle::ApiWorker => "API plus background worker",
            ArchitectureStyle::Microservices => "Services behind a gateway",
        },
        b.components.len(),
        b.components
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let approach = format!(
        "Read as {}{}; the design follows from that and the PRD's named stack, with org choices only where the PRD names none.",
        input.product.kind.describe(),
        if input.product.stack.is_empty() {
            String::new()
        } else {
            format!(
                " built with {}",
                input
                    .product
                    .stack
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Designed {
        architecture: ArchitectureDraft {
            approach,
            name: match input.title {
                Some(t) if !t.is_empty() => format!("{t} architecture"),
                _ => "Product architecture".to_owned(),
            },
            description,
            style,
            components: b.components,
            data_flows: b.flows,
            async_patterns,
            api_surface,
            pros,
            cons,
            risks,
            rationale,
        },
        notes,
        conflicts,
    }
}

/// Bends the design to the org's architecture preference: a monolith folds
/// workers into the main component, api_worker adds a worker, microservices
/// split out a second service.
fn fit_preference(
    b: &mut Builder,
    org: &OrgConstraints,
    language: &Pick,
    main: &str,
) -> ArchitectureStyle {
    match org.architecture_preference {
        ArchitecturePreference::Monolith => {
            let folded: Vec<String> = b
                .components
                .iter()
                .filter(|c| {
                    matches!(c.kind, ComponentType::Worker | ComponentType::Queue)
                        || c.kind == ComponentType::Api && c.name != main
                })
                .map(|c| c.name.clone())
                .collect();
            let keep_main = b
                .components
                .iter()
                .any(|c| c.name == main && c.kind == ComponentType::Api);
            let target = if keep_main {
                main.to_owned()
            } else {
                b.first(ComponentType::Api).unwrap_or_default()
            };
            b.components
                .retain(|c| !folded.contains(&c.name) || c.name == target);
            if target.is_empty() {
                // A worker-only design: its main job becomes the one service.
                let name = b.add(
                    &format!("Service ({})", language.name),
                    ComponentType::Api,
                    &language.key,
                    String::new(),
                    false,
                    "Runs the product's jobs in one process",
                );
                for f in &mut b.flows {
                    if folded.contains(&f.from) {
                        f.from = name.clone();
                    }
                    if folded.contains(&f.to) {
                        f.to = name.clone();
                    }
                }
            } else {
                for f in &mut b.flows {
                    if folded.contains(&f.from) {
                        f.from = target.clone();
                    }
                    if folded.contains(&f.to) {
                        f.to = target.clone();
                    }
                }
            }
            b.flows.retain(|f| f.from != f.to);
            ArchitectureStyle::Monolith
        }
        ArchitecturePreference::ApiWorker => {
            if b.count(ComponentType::Api) == 0 {
                let api = b.add(
                    &format!("API ({})", api_tech(org.stack.api)),
                    ComponentType::Api,
                    api_tech(org.stack.api),
                    String::new(),
                    false,
                    "Entry point for the product's use cases",
                );
                if let Some(w) = b.first(ComponentType::Worker) {
                    b.flow(&api, &w, "Starts jobs");
                }
            }
            if b.count(ComponentType::Worker) == 0 {
                let api = b.first(ComponentType::Api).unwrap_or_default();
                let worker = b.add(
                    &format!("Worker ({})", language.name),
                    ComponentType::Worker,
                    &language.key,
                    String::new(),
                    false,
                    "Runs slow work outside the request path",
                );
                b.flow(&api, &worker, "Hands over background jobs");
            }
            ArchitectureStyle::ApiWorker
        }
        ArchitecturePreference::Microservices => {
            while b.count(ComponentType::Api) < 2 {
                let first = b.first(ComponentType::Api).unwrap_or_default();
                let n = b.count(ComponentType::Api) + 1;
                let name = if first.is_empty() {
                    format!("Gateway ({})", language.name)
                } else {
                    format!("Core service {n} ({})", language.name)
                };
                let added = b.add(
                    &name,
                    ComponentType::Api,
                    &language.key,
                    String::new(),
                    false,
                    "Owns one business capability behind the entry point",
                );
                b.flow(&first, &added, "Internal HTTP calls");
            }
            ArchitectureStyle::Microservices
        }
        ArchitecturePreference::NoPreference => {
            if b.count(ComponentType::Worker) > 0 && b.count(ComponentType::Api) > 0 {
                ArchitectureStyle::ApiWorker
            } else {
                ArchitectureStyle::Monolith
            }
        }
    }
}

/// Pros, cons and risks, each tied to what the PRD asks for.
fn tradeoffs(
    kind: ProductKind,
    style: ArchitectureStyle,
    product: &Product,
    input: &ArchitectureInput<'_>,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut pros = Vec::new();
    let mut cons = Vec::new();
    let mut risks = Vec::new();
    match kind {
        ProductKind::LocalApp => {
            pros.push(
                "Data stays on the user's machine: no servers to run, works offline".to_owned(),
            );
            cons.push(
                "No sync between devices unless added later; backups are the user's".to_owned(),
            );
            risks.push("Installers, signing and updates differ per operating system and need testing on each".to_owned());
        }
        ProductKind::Cli => {
            pros.push("One binary or package: nothing to host, easy to script and test".to_owned());
            cons.push("No shared state between users or machines".to_owned());
        }
        ProductKind::Mobile => {
            pros.push("Native app experience with a shared API for every client".to_owned());
            cons.push("Two app-store release pipelines and review times".to_owned());
            risks.push(
                "Offline use and flaky networks need a local cache and retry on the phone"
                    .to_owned(),
            );
        }
        ProductKind::ChatBot => {
            pros.push(
                "Webhooks answer the channels fast; conversations run in workers that can retry"
                    .to_owned(),
            );
            cons.push(
                "Every channel has its own API limits, templates and approval rules".to_owned(),
            );
            risks.push("Replies depend on model and speech latency; slow turns need timeouts and fallbacks".to_owned());
        }
        ProductKind::DataPipeline => {
            pros.push("Steps rerun independently from stored intermediate data".to_owned());
            cons.push("Scheduling, backfills and data quality checks to operate".to_owned());
        }
        ProductKind::Game => {
            pros.push(
                "The game loop runs in the client; the server only holds what must be shared"
                    .to_owned(),
            );
            cons.push("Performance depends on the player's device".to_owned());
        }
        ProductKind::Embedded => {
            pros.push(
                "Devices stay simple; logic that changes often lives on the server".to_owned(),
            );
            cons.push("Firmware updates over the air must be safe to interrupt".to_owned());
            risks
                .push("Devices go offline; telemetry must be buffered and deduplicated".to_owned());
        }
        ProductKind::WebSaas | ProductKind::ApiService => match style {
            ArchitectureStyle::Monolith => {
                pros.push("One deployable: simple to build, test and operate".to_owned());
                cons.push("Slow work shares the request path unless moved out later".to_owned());
            }
            ArchitectureStyle::ApiWorker => {
                pros.push("Slow and external work never blocks a user request".to_owned());
                cons.push("A queue and a worker to deploy and monitor".to_owned());
            }
            ArchitectureStyle::Microservices => {
                pros.push("Services deploy and scale independently".to_owned());
                cons.push(
                    "More deployables, network calls and contracts to keep in step".to_owned(),
                );
            }
        },
    }
    if !product.stack.is_empty() {
        pros.push(format!(
            "Keeps the stack the PRD names ({})",
            product
                .stack
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if input.nfrs.data_sensitivity != DataSensitivity::None {
        risks.push("Sensitive data: encryption at rest, least-privilege access and audit logging are required".to_owned());
    }
    if input.nfrs.availability == Availability::High {
        risks.push("High availability needs multi-zone deployment and tested failover".to_owned());
    }
    for integration in input
        .integrations
        .iter()
        .filter(|i| i.criticality == Criticality::High)
    {
        risks.push(format!(
            "{} outages block a must-have flow; calls need retries and a fallback",
            integration.name
        ));
    }
    for constraint in input.constraints.iter().take(5) {
        risks.push(format!(
            "PRD constraint \"{}\": checked in the issues that touch it",
            cut_words(constraint, 100)
        ));
    }
    (pros, cons, risks)
}

fn language_name(org: &OrgConstraints) -> &'static str {
    match language_tech(org) {
        "typescript" => "TypeScript",
        "python" => "Python",
        "java" => "Java",
        _ => "Go",
    }
}

fn language_tech(org: &OrgConstraints) -> &'static str {
    use pass_contracts::org::Language;
    match org.stack.language {
        Language::Typescript => "typescript",
        Language::Python => "python",
        Language::Java => "java",
        Language::Go => "go",
    }
}

pub fn refinement(arch: &ArchitectureDraft, questions: &[String]) -> RefinementDraft {
    RefinementDraft {
        editable_components: arch
            .components
            .iter()
            .filter(|c| matches!(c.kind, ComponentType::Web | ComponentType::Api))
            .map(|c| c.name.clone())
            .collect(),
        suggested_questions: questions.iter().take(5).cloned().collect(),
        editable_topics: vec![
            "requirement priorities".to_owned(),
            "component choices".to_owned(),
            "issue breakdown".to_owned(),
        ],
    }
}

/// Which components a requirement touches, judged from its words.
pub fn touched(text: &str, arch: &ArchitectureDraft) -> Vec<String> {
    let l = text.to_ascii_lowercase();
    let words = |list: &[&str]| list.iter().any(|w| has_word(&l, w));
    let mut out = Vec::new();
    for c in &arch.components {
        let hit = match c.kind {
            ComponentType::Web => words(&[
                "ui",
                "page",
                "screen",
                "view",
                "display",
                "displays",
                "show",
                "shows",
                "browser",
                "drag",
                "click",
                "card",
                "cards",
                "column",
                "columns",
                "dashboard",
                "form",
                "button",
                "visual",
                "design",
                "theme",
                "keyboard",
                "see",
                "indicator",
                "indicators",
                "responsive",
                "mode",
                "notifications",
            ]),
            ComponentType::Api => true,
            ComponentType::Db => words(&[
                "save", "saves", "store", "stores", "persist", "add", "delete", "edit", "update",
                "create", "mark", "list", "sync", "syncs", "history", "data", "record", "records",
                "status", "book", "cancel", "moves", "task", "tasks", "todo", "todos", "file",
                "files",
            ]),
            ComponentType::Queue | ComponentType::Worker => words(&[
                "email",
                "emails",
                "notify",
                "notification",
                "notifications",
                "reminder",
                "reminders",
                "send",
                "sends",
                "schedule",
                "scheduled",
                "import",
                "export",
                "webhook",
                "background",
                "report",
            ]),
            ComponentType::ObjectStorage => words(&[
                "upload",
                "uploads",
                "attachment",
                "image",
                "images",
                "photo",
                "file upload",
                "pdf",
            ]),
            ComponentType::Cache => false,
            ComponentType::AuthProvider => words(&[
                "login", "log in", "sign in", "sign-in", "account", "password", "register",
                "signup",
            ]),
            ComponentType::ExternalIntegration => c
                .name
                .split_whitespace()
                .next()
                .is_some_and(|first| has_word(&l, &first.to_ascii_lowercase())),
        };
        if hit {
            out.push(c.name.clone());
        }
    }
    out
}

pub fn implementation(
    title: Option<&str>,
    requirements: &[RequirementDraft],
    arch: &ArchitectureDraft,
    nfrs: &NfrsDraft,
    org: &OrgConstraints,
) -> ImplementationDraft {
    let prefix = org.naming.service_prefix.as_str();
    let logic_requirements = requirements
        .iter()
        .enumerate()
        .map(|(i, r)| LogicRequirementDraft {
            id: format!("LR-{}", i + 1),
            title: cut_words(&r.text, 80),
            summary: format!("{} (implements {})", r.text, r.id),
            priority: r.priority,
            acceptance_criteria: r.acceptance_criteria.clone(),
            affected_components: touched(
                &format!("{} {}", r.text, r.acceptance_criteria.join(" ")),
                arch,
            ),
            dependencies: Vec::new(),
        })
        .collect();
    let iac_modules: Vec<String> = arch
        .components
        .iter()
        .filter(|c| !c.cloud_service.is_empty())
        .map(|c| format!("{prefix}-{}-{}", slug(&c.name), c.cloud_service))
        .collect();
    let mut required_signals = vec![
        "request rate, error rate and latency per route".to_owned(),
        "structured logs with a request id".to_owned(),
    ];
    if arch
        .components
        .iter()
        .any(|c| c.kind == ComponentType::Queue)
    {
        required_signals.push("queue depth and job failures".to_owned());
    }
    if nfrs.auditability != pass_contracts::pack::Auditability::Basic {
        required_signals.push("audit log of who changed what".to_owned());
    }
    ImplementationDraft {
        summary: format!(
            "Build {} as a {} in {} issue-sized steps, foundation first, then the requirements by priority.",
            title.unwrap_or("the product"),
            arch.style.as_str().replace('_', " + "),
            requirements.len().max(1)
        ),
        iac_summary: if iac_modules.is_empty() {
            "Runs locally; no cloud infrastructure to provision.".to_owned()
        } else {
            format!(
                "Provision {} managed service(s) named with the `{prefix}` prefix.",
                iac_modules.len()
            )
        },
        iac_modules,
        logic_requirements,
        coordination_views: vec![
            "issues by priority".to_owned(),
            "issues by component".to_owned(),
        ],
        question_sources: vec!["open_questions".to_owned(), "clarifications".to_owned()],
        required_signals,
        dashboard_panels: vec![
            "issue progress by priority".to_owned(),
            "errors by component".to_owned(),
        ],
    }
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_ascii_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 24 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}
