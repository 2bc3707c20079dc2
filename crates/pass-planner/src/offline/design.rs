//! The offline architect: an architecture chosen from the org constraints and
//! the PRD's signals, and an issue plan that decomposes the requirements into
//! pull-request-sized issues.

use std::collections::BTreeSet;

use pass_contracts::OrgConstraints;
use pass_contracts::org::{
    ApiFramework, ArchitecturePreference, CloudProvider, PrimaryDb, Strictness, WebFramework,
};
use pass_contracts::pack::{
    Availability, ComponentType, Criticality, DataSensitivity, Latency, Priority, Scale,
};

use super::extract::{Extracted, has_word};
use crate::sections::{
    ArchitectureDraft, ArchitectureStyle, ComponentDraft, DataFlowDraft, ImplementationDraft,
    IssueDraft, IssuePlanDraft, IssueSize, LogicRequirementDraft, NfrsDraft, RefinementDraft,
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

fn pretty(tech: &str) -> &str {
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

/// The offline architecture plus the assumptions it had to make.
pub fn architecture(
    ex: &Extracted,
    nfrs: &NfrsDraft,
    org: &OrgConstraints,
) -> (ArchitectureDraft, Vec<String>) {
    let mut notes = Vec::new();
    let strict = org.strictness == Strictness::Strict;
    let s = ex.signals;
    let local = s.local_only || (s.cli && !s.web_ui);
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
    // Only allowed services are used; a kind with none is left to the platform team.
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
    let style = match org.architecture_preference {
        ArchitecturePreference::Monolith => ArchitectureStyle::Monolith,
        ArchitecturePreference::ApiWorker => ArchitectureStyle::ApiWorker,
        ArchitecturePreference::Microservices => ArchitectureStyle::Microservices,
        ArchitecturePreference::NoPreference => {
            let external_work = ex
                .integrations
                .iter()
                .any(|i| i.criticality != Criticality::Low);
            if (s.background_work && !local)
                || nfrs.scale == Scale::Large
                || (external_work && !local)
            {
                ArchitectureStyle::ApiWorker
            } else {
                ArchitectureStyle::Monolith
            }
        }
    };

    // Technologies: the org's stack; under `prefer` a technology the PRD names wins.
    let choose = |org_tech: &'static str, prd: Option<&'static str>| -> &'static str {
        match prd {
            Some(named) if !strict => named,
            _ => org_tech,
        }
    };
    let api = choose(api_tech(org.stack.api), ex.named_tech.api);
    if let Some(named) = ex.named_tech.api.filter(|n| *n != api_tech(org.stack.api)) {
        if strict {
            notes.push(format!(
                "The PRD names {}, but strict org constraints require {}; the plan uses {}.",
                pretty(named),
                pretty(api_tech(org.stack.api)),
                pretty(api_tech(org.stack.api))
            ));
        }
    }

    let mut components: Vec<ComponentDraft> = Vec::new();
    let mut flows: Vec<DataFlowDraft> = Vec::new();
    let web_name;
    let has_web = s.web_ui && org.stack.web != WebFramework::None;
    if has_web {
        let web = choose(web_tech(org.stack.web), ex.named_tech.web);
        web_name = format!("Web app ({})", pretty(web));
        components.push(ComponentDraft {
            name: web_name.clone(),
            kind: ComponentType::Web,
            technology: web.to_owned(),
            cloud_service: service_for(ComponentType::Web, web),
            publicly_accessible: !local,
            responsibility: "User interface: renders views and calls the API".to_owned(),
        });
    } else {
        web_name = String::new();
    }
    let cli_only = s.cli && !s.web_ui;
    let api_names: Vec<String> = if cli_only && style == ArchitectureStyle::Microservices {
        vec![
            format!("CLI command layer ({})", language_name(org)),
            format!("Core service ({})", pretty(api)),
        ]
    } else if cli_only {
        vec![format!("CLI command layer ({})", language_name(org))]
    } else if style == ArchitectureStyle::Microservices {
        let mut names = vec![format!("API gateway ({})", pretty(api))];
        names.push(format!("Core service ({})", pretty(api)));
        if !ex.integrations.is_empty() {
            names.push(format!("Integration service ({})", pretty(api)));
        }
        names
    } else {
        vec![format!("API ({})", pretty(api))]
    };
    for (i, name) in api_names.iter().enumerate() {
        components.push(ComponentDraft {
            name: name.clone(),
            kind: ComponentType::Api,
            technology: if cli_only && i == 0 {
                language_tech(org).to_owned()
            } else {
                api.to_owned()
            },
            cloud_service: service_for(ComponentType::Api, api),
            publicly_accessible: i == 0 && !local,
            responsibility: if i == 0 {
                "Entry point: validates requests and runs the product's use cases".to_owned()
            } else {
                "Owns one business capability behind the gateway".to_owned()
            },
        });
    }
    let api_name = api_names[0].clone();
    if has_web {
        flows.push(DataFlowDraft {
            from: web_name.clone(),
            to: api_name.clone(),
            description: if s.realtime {
                "HTTPS JSON requests and live updates".to_owned()
            } else {
                "HTTPS JSON requests".to_owned()
            },
        });
    }
    for name in api_names.iter().skip(1) {
        flows.push(DataFlowDraft {
            from: api_name.clone(),
            to: name.clone(),
            description: "Internal HTTP calls".to_owned(),
        });
    }

    // Where data lives.
    let owner = api_names.get(1).unwrap_or(&api_name).clone();
    let db_is_file = s.local_file_store && !s.database;
    let db = if db_is_file && !strict {
        "file"
    } else {
        choose(db_tech(org.stack.primary_db), ex.named_tech.db)
    };
    let db_name = if db == "file" {
        "Local file store (JSON)".to_owned()
    } else {
        format!("Database ({})", pretty(db))
    };
    let needs_db = !(s.cli && !s.web_ui && !s.database && !s.local_file_store);
    if !needs_db {
        notes.push("The PRD names no data store; the command works on the existing project's files, so no database is planned.".to_owned());
    }
    if needs_db {
        components.push(ComponentDraft {
            name: db_name.clone(),
            kind: ComponentType::Db,
            technology: db.to_owned(),
            cloud_service: if db == "file" {
                String::new()
            } else {
                service_for(ComponentType::Db, db)
            },
            publicly_accessible: false,
            responsibility: "System of record".to_owned(),
        });
        flows.push(DataFlowDraft {
            from: owner.clone(),
            to: db_name.clone(),
            description: "Reads and writes records".to_owned(),
        });
    }

    let mut async_patterns = Vec::new();
    let wants_worker = matches!(
        style,
        ArchitectureStyle::ApiWorker | ArchitectureStyle::Microservices
    );
    let mut worker_name = None;
    if wants_worker {
        let queue_service = service_for(ComponentType::Queue, "");
        {
            let queue = "Job queue".to_owned();
            let worker = format!("Worker ({})", language_name(org));
            components.push(ComponentDraft {
                name: queue.clone(),
                kind: ComponentType::Queue,
                technology: if queue_service.is_empty() {
                    "postgres-backed queue".to_owned()
                } else {
                    queue_service.clone()
                },
                cloud_service: queue_service,
                publicly_accessible: false,
                responsibility: "Holds background jobs until a worker takes them".to_owned(),
            });
            components.push(ComponentDraft {
                name: worker.clone(),
                kind: ComponentType::Worker,
                technology: language_tech(org).to_owned(),
                cloud_service: service_for(ComponentType::Worker, ""),
                publicly_accessible: false,
                responsibility: "Runs slow and external work outside the request path".to_owned(),
            });
            flows.push(DataFlowDraft {
                from: owner.clone(),
                to: queue.clone(),
                description: "Enqueues jobs".to_owned(),
            });
            flows.push(DataFlowDraft {
                from: queue,
                to: worker.clone(),
                description: "Delivers jobs".to_owned(),
            });
            if needs_db {
                flows.push(DataFlowDraft {
                    from: worker.clone(),
                    to: db_name.clone(),
                    description: "Records job results".to_owned(),
                });
            }
            async_patterns.push(
                "Background jobs through a queue, retried with backoff and idempotent by job id"
                    .to_owned(),
            );
            worker_name = Some(worker);
        }
    }
    if s.files {
        let service = service_for(ComponentType::ObjectStorage, "");
        if !strict || !service.is_empty() || provider == CloudProvider::None {
            let name = "Object storage".to_owned();
            components.push(ComponentDraft {
                name: name.clone(),
                kind: ComponentType::ObjectStorage,
                technology: if service.is_empty() {
                    "local disk".to_owned()
                } else {
                    service.clone()
                },
                cloud_service: service,
                publicly_accessible: false,
                responsibility: "Stores uploaded files; served through short-lived signed URLs"
                    .to_owned(),
            });
            flows.push(DataFlowDraft {
                from: owner.clone(),
                to: name,
                description: "Stores and signs file URLs".to_owned(),
            });
        }
    }
    if (nfrs.latency == Latency::Low || nfrs.scale == Scale::Large) && !local {
        let service = service_for(ComponentType::Cache, "");
        if !service.is_empty() || provider == CloudProvider::None {
            let name = "Cache".to_owned();
            components.push(ComponentDraft {
                name: name.clone(),
                kind: ComponentType::Cache,
                technology: "redis".to_owned(),
                cloud_service: service,
                publicly_accessible: false,
                responsibility: "Keeps hot reads off the database".to_owned(),
            });
            flows.push(DataFlowDraft {
                from: owner.clone(),
                to: name,
                description: "Caches hot reads".to_owned(),
            });
        } else {
            notes.push("Low latency is asked for, but no cache service is allowed; the plan relies on database indexes.".to_owned());
        }
    }
    if s.auth && !s.no_auth && !local {
        let name = "Auth provider".to_owned();
        let service = service_for(ComponentType::AuthProvider, "");
        components.push(ComponentDraft {
            name: name.clone(),
            kind: ComponentType::AuthProvider,
            technology: "oidc".to_owned(),
            cloud_service: service,
            publicly_accessible: true,
            responsibility: "Signs users in and issues tokens the API verifies".to_owned(),
        });
        flows.push(DataFlowDraft {
            from: api_name.clone(),
            to: name,
            description: "Verifies sessions and tokens".to_owned(),
        });
    }
    for integration in ex
        .integrations
        .iter()
        .filter(|i| i.criticality != Criticality::Low)
        .take(5)
    {
        let name = integration.name.clone();
        if components.iter().any(|c| c.name == name) {
            continue;
        }
        components.push(ComponentDraft {
            name: name.clone(),
            kind: ComponentType::ExternalIntegration,
            technology: "https".to_owned(),
            cloud_service: String::new(),
            publicly_accessible: true,
            responsibility: integration.purpose.clone(),
        });
        let caller = worker_name.clone().unwrap_or_else(|| owner.clone());
        flows.push(DataFlowDraft {
            from: caller,
            to: name,
            description: integration.purpose.clone(),
        });
    }

    let mut api_surface = Vec::new();
    if !s.cli || s.web_ui {
        api_surface.push("GET /health".to_owned());
    }
    if !unhosted.is_empty() {
        notes.push(format!(
            "The allowed cloud services ({}) do not include {}; those components are planned without a managed service, hosting to be agreed with the platform team.",
            allowed.iter().cloned().collect::<Vec<_>>().join(", "),
            unhosted.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let description = format!(
        "{} with {} components: {}.",
        match style {
            ArchitectureStyle::Monolith => "Modular monolith",
            ArchitectureStyle::ApiWorker => "API plus background worker",
            ArchitectureStyle::Microservices => "Services behind a gateway",
        },
        components.len(),
        components
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut pros = vec!["Few moving parts for the size of the product".to_owned()];
    let mut cons = Vec::new();
    let mut risks = Vec::new();
    match style {
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
            cons.push("More deployables, network calls and contracts to keep in step".to_owned());
            pros.remove(0);
        }
    }
    if nfrs.data_sensitivity != DataSensitivity::None {
        risks.push("Sensitive data: encryption at rest, least-privilege access and audit logging are required".to_owned());
    }
    if nfrs.availability == Availability::High {
        risks.push("High availability needs multi-zone deployment and tested failover".to_owned());
    }
    for integration in ex
        .integrations
        .iter()
        .filter(|i| i.criticality == Criticality::High)
    {
        risks.push(format!(
            "{} outages block a must-have flow; calls need retries and a fallback",
            integration.name
        ));
    }
    if ex.requirements.is_empty() {
        risks.push(
            "The PRD states no requirements yet; this architecture is a placeholder to revisit"
                .to_owned(),
        );
    }
    let rationale = format!(
        "Chosen from the org constraints ({} on {}, preference {}) and the PRD's signals{}.",
        [
            pretty(api_tech(org.stack.api)),
            pretty(db_tech(org.stack.primary_db))
        ]
        .join(" + "),
        match org.cloud.provider {
            CloudProvider::Aws => "AWS",
            CloudProvider::Gcp => "GCP",
            CloudProvider::Azure => "Azure",
            CloudProvider::None => "no cloud",
        },
        match org.architecture_preference {
            ArchitecturePreference::Monolith => "monolith",
            ArchitecturePreference::ApiWorker => "api_worker",
            ArchitecturePreference::Microservices => "microservices",
            ArchitecturePreference::NoPreference => "none",
        },
        {
            let mut why = Vec::new();
            if s.background_work {
                why.push("background work");
            }
            if s.cli && !s.web_ui {
                why.push("a command-line product");
            }
            if s.local_only {
                why.push("a local-only tool");
            }
            if s.files {
                why.push("file storage");
            }
            if s.realtime {
                why.push("live updates");
            }
            if why.is_empty() {
                String::new()
            } else {
                format!(": {}", why.join(", "))
            }
        }
    );
    let draft = ArchitectureDraft {
        name: match &ex.title {
            Some(t) => format!("{t} architecture"),
            None => "Product architecture".to_owned(),
        },
        description,
        style,
        data_flows: flows,
        async_patterns,
        api_surface,
        pros,
        cons,
        risks,
        rationale,
        components,
    };
    (draft, notes)
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
fn touched(text: &str, arch: &ArchitectureDraft) -> Vec<String> {
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
    ex: &Extracted,
    arch: &ArchitectureDraft,
    nfrs: &NfrsDraft,
    org: &OrgConstraints,
) -> ImplementationDraft {
    let prefix = org.naming.service_prefix.as_str();
    let logic_requirements = ex
        .requirements
        .iter()
        .enumerate()
        .map(|(i, r)| LogicRequirementDraft {
            id: format!("LR-{}", i + 1),
            title: short_title(&r.text),
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
            ex.title.as_deref().unwrap_or("the product"),
            arch.style.as_str().replace('_', " + "),
            ex.requirements.len().max(1)
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

/// A title of at most ~9 words from a requirement sentence.
pub fn short_title(text: &str) -> String {
    let first = text
        .split(". ")
        .next()
        .unwrap_or(text)
        .split([';', '(', ':'])
        .next()
        .unwrap_or(text)
        .trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    let mut title = words.iter().take(10).copied().collect::<Vec<_>>().join(" ");
    if words.len() > 10 {
        title.push('…');
    }
    if title.is_empty() {
        text.chars().take(60).collect()
    } else {
        title
    }
}

const COMMON_WORDS: &[&str] = &[
    "the", "and", "for", "with", "from", "into", "that", "this", "are", "can", "have", "has",
    "want", "when", "then", "all", "any", "each", "its", "their", "was", "will", "should", "must",
    "could", "see", "able", "also", "via", "per", "not", "only", "within", "between", "without",
    "they", "them", "our", "your", "you", "who", "which", "what", "how", "get",
];

/// Words that carry a requirement's meaning: lower case, split at hyphens,
/// plural `s` dropped, the story's "As a X, I want" preamble skipped.
fn content_words(r: &crate::sections::RequirementDraft) -> BTreeSet<String> {
    let text = r.text.to_ascii_lowercase();
    let body = text
        .split_once(" want ")
        .map(|(_, b)| b.to_owned())
        .unwrap_or(text);
    let all = format!(
        "{body} {}",
        r.acceptance_criteria.join(" ").to_ascii_lowercase()
    );
    all.split(|c: char| !c.is_alphanumeric())
        .filter(|w| (w.len() >= 3 || *w == "ui") && !COMMON_WORDS.contains(w))
        .map(|w| {
            if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                w[..w.len() - 1].to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect()
}

/// Requirements that say the same thing (a story and the checklist item it
/// restates) go into one issue: most of the shorter one's words appear in the
/// group's first requirement. Groups hold at most three.
fn overlapping_groups(
    requirements: &[crate::sections::RequirementDraft],
) -> Vec<Vec<&crate::sections::RequirementDraft>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<&crate::sections::RequirementDraft>)> = Vec::new();
    for r in requirements {
        let words = content_words(r);
        let home = groups.iter_mut().find(|(lead, members)| {
            let shared = lead.intersection(&words).count();
            let smaller = lead.len().min(words.len());
            members.len() < 3 && smaller >= 3 && shared * 10 >= smaller * 7
        });
        match home {
            Some((_, members)) => members.push(r),
            None => groups.push((words, vec![r])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

fn size_of(components: usize, criteria: usize, text_len: usize) -> IssueSize {
    let score = components + criteria.div_ceil(2) + text_len / 160;
    match score {
        0..=2 => IssueSize::S,
        3..=4 => IssueSize::M,
        _ => IssueSize::L,
    }
}

pub fn issue_plan(ex: &Extracted, arch: &ArchitectureDraft, nfrs: &NfrsDraft) -> IssuePlanDraft {
    let mut issues: Vec<IssueDraft> = Vec::new();
    let mut next = 1;
    let mut new_id = || {
        let id = format!("ISSUE-{next:03}");
        next += 1;
        id
    };
    let internal: Vec<String> = arch
        .components
        .iter()
        .filter(|c| {
            !matches!(
                c.kind,
                ComponentType::ExternalIntegration | ComponentType::AuthProvider
            )
        })
        .map(|c| c.name.clone())
        .collect();
    let db = arch
        .components
        .iter()
        .find(|c| c.kind == ComponentType::Db)
        .map(|c| c.name.clone());
    let api = arch
        .components
        .iter()
        .find(|c| c.kind == ComponentType::Api)
        .map(|c| c.name.clone())
        .unwrap_or_default();

    let foundation = new_id();
    issues.push(IssueDraft {
        id: foundation.clone(),
        title: "Project skeleton, CI and deployment pipeline".to_owned(),
        summary: format!("Set up {} with builds, tests and a deployment path.", internal.join(", ")),
        details: "Create the repository layout for each component, a CI workflow that builds and tests them, configuration from environment variables, and a first deployment to a test environment.".to_owned(),
        implements: Vec::new(),
        partially_implements: Vec::new(),
        components: internal.clone(),
        depends_on: Vec::new(),
        size: IssueSize::M,
        priority: Priority::Must,
        acceptance_criteria: {
            let mut a = vec!["CI builds and tests every component on each pull request".to_owned()];
            if arch.api_surface.iter().any(|s| s.contains("/health")) {
                a.push(format!("{api} answers GET /health with 200"));
            }
            if let Some(db) = &db {
                a.push(format!("{db} schema migrations run from an empty store"));
            }
            a
        },
    });
    let mut data_model = None;
    if let (Some(db), false) = (&db, ex.entities.is_empty()) {
        let id = new_id();
        let names: Vec<&str> = ex.entities.iter().map(|e| e.name.as_str()).collect();
        issues.push(IssueDraft {
            id: id.clone(),
            title: format!("Data model: {}", names.join(", ")),
            summary: format!("Define and migrate the stored entities in {db}."),
            details: ex
                .entities
                .iter()
                .map(|e| format!("- {}: {}", e.name, if e.fields.is_empty() { "fields to be confirmed".to_owned() } else { e.fields.join(", ") }))
                .collect::<Vec<_>>()
                .join("\n"),
            implements: Vec::new(),
            partially_implements: Vec::new(),
            components: vec![db.clone(), api.clone()],
            depends_on: vec![foundation.clone()],
            size: size_of(2, ex.entities.len(), 0),
            priority: Priority::Must,
            acceptance_criteria: ex
                .entities
                .iter()
                .map(|e| format!("A {} can be created, read, updated and deleted through the data layer with its fields validated", e.name))
                .collect(),
        });
        data_model = Some(id);
    }
    let mut integration_issues: Vec<(String, String)> = Vec::new();
    for c in arch
        .components
        .iter()
        .filter(|c| c.kind == ComponentType::ExternalIntegration)
    {
        let id = new_id();
        let caller = arch
            .components
            .iter()
            .find(|x| x.kind == ComponentType::Worker)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| api.clone());
        issues.push(IssueDraft {
            id: id.clone(),
            title: format!("Integrate {}", c.name),
            summary: format!("A client for {} ({}) with retries, timeouts and a test double.", c.name, c.responsibility),
            details: ex
                .integrations
                .iter()
                .find(|i| i.name == c.name)
                .map(|i| format!("Contract: {}", i.contract_stub))
                .unwrap_or_default(),
            implements: Vec::new(),
            partially_implements: Vec::new(),
            components: vec![c.name.clone(), caller],
            depends_on: vec![foundation.clone()],
            size: IssueSize::M,
            priority: ex
                .integrations
                .iter()
                .find(|i| i.name == c.name)
                .map(|i| match i.criticality {
                    Criticality::High => Priority::Must,
                    Criticality::Medium => Priority::Should,
                    Criticality::Low => Priority::Could,
                })
                .unwrap_or(Priority::Should),
            acceptance_criteria: vec![
                format!("Calls to {} time out, retry transient failures and surface permanent ones with a clear error", c.name),
                format!("Tests run against a local stand-in for {}, never the live service", c.name),
            ],
        });
        integration_issues.push((c.name.clone(), id));
    }
    let web = arch
        .components
        .iter()
        .find(|c| c.kind == ComponentType::Web)
        .map(|c| c.name.clone());
    for group in overlapping_groups(&ex.requirements) {
        let lead = group[0];
        let ids: Vec<String> = group.iter().map(|r| r.id.clone()).collect();
        let all_text = group
            .iter()
            .map(|r| format!("{} {}", r.text, r.acceptance_criteria.join(" ")))
            .collect::<Vec<_>>()
            .join(" ");
        let components = touched(&all_text, arch);
        let mut depends = vec![foundation.clone()];
        if let (Some(dm), Some(db)) = (&data_model, &db) {
            if components.contains(db) {
                depends.push(dm.clone());
            }
        }
        for (name, id) in &integration_issues {
            if components.contains(name) {
                depends.push(id.clone());
            }
        }
        let mut acceptance: Vec<String> = Vec::new();
        for r in &group {
            let criteria = if r.acceptance_criteria.is_empty() {
                vec![format!(
                    "An automated end-to-end test shows: {}",
                    r.text.trim_end_matches('.')
                )]
            } else {
                r.acceptance_criteria.clone()
            };
            for c in criteria {
                if !acceptance.contains(&c) {
                    acceptance.push(c);
                }
            }
        }
        let priority = group.iter().map(|r| r.priority).min().unwrap_or_default();
        let text_len: usize = group.iter().map(|r| r.text.len()).sum();
        let size = size_of(components.len(), acceptance.len(), text_len);
        let title = format!("{}: {}", ids.join(" + "), short_title(&lead.text));
        let summary = if group.len() == 1 {
            lead.text.clone()
        } else {
            format!(
                "{} The PRD says this {} times; one issue implements them together: {}",
                lead.text,
                group.len(),
                group
                    .iter()
                    .skip(1)
                    .map(|r| format!("{} ({})", r.text, r.id))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let details = group
            .iter()
            .map(|r| {
                format!(
                    "Implement {} as the PRD states it: \"{}\"",
                    r.id, r.source_hint
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let touches_web = web.as_ref().is_some_and(|w| components.contains(w));
        let server_side: Vec<String> = components
            .iter()
            .filter(|c| Some(*c) != web.as_ref())
            .cloned()
            .collect();
        if size == IssueSize::L && touches_web && !server_side.is_empty() {
            // Too big for one pull request: the server side first, then the UI on top.
            let server_id = new_id();
            let ui_id = new_id();
            let web_name = web.clone().unwrap_or_default();
            issues.push(IssueDraft {
                id: server_id.clone(),
                title: format!("{title} (server side)"),
                summary: format!("Server side of {}: {}", ids.join(", "), lead.text),
                details: format!("Implement the use case and its API.\n{details}"),
                implements: Vec::new(),
                partially_implements: ids.clone(),
                components: server_side.clone(),
                depends_on: depends.clone(),
                size: size_of(server_side.len(), acceptance.len(), 0).min(IssueSize::M),
                priority,
                acceptance_criteria: vec![format!(
                    "The API behind \"{}\" is covered by integration tests, including invalid input",
                    short_title(&lead.text)
                )],
            });
            issues.push(IssueDraft {
                id: ui_id,
                title: format!("{title} (user interface)"),
                summary: format!("User interface of {}: {}", ids.join(", "), lead.text),
                details: format!("Build the views on top of the server side.\n{details}"),
                implements: ids,
                partially_implements: Vec::new(),
                components: vec![web_name],
                depends_on: vec![server_id],
                size: size_of(1, acceptance.len(), 0).min(IssueSize::M),
                priority,
                acceptance_criteria: acceptance,
            });
        } else {
            issues.push(IssueDraft {
                id: new_id(),
                title,
                summary,
                details,
                implements: ids,
                partially_implements: Vec::new(),
                components,
                depends_on: depends,
                size,
                priority,
                acceptance_criteria: acceptance,
            });
        }
    }
    let mut nfr_criteria = Vec::new();
    match nfrs.data_sensitivity {
        DataSensitivity::Pii => nfr_criteria.push(
            "Personal data is encrypted at rest and in transit, and access to it is logged"
                .to_owned(),
        ),
        DataSensitivity::FinancialLike => nfr_criteria
            .push("No card data is stored; payment records are immutable and audited".to_owned()),
        DataSensitivity::None => {}
    }
    if nfrs.availability == Availability::High {
        nfr_criteria
            .push("Services run in at least two zones and a zone failure test passes".to_owned());
    }
    if nfrs.latency == Latency::Low {
        nfr_criteria.push(
            "p95 latency of the main routes is measured in CI and stays under the PRD's targets"
                .to_owned(),
        );
    }
    if !nfr_criteria.is_empty() {
        let id = new_id();
        issues.push(IssueDraft {
            id,
            title: "Non-functional requirements: security, availability and latency".to_owned(),
            summary: "Meet the PRD's non-functional targets and prove them with checks.".to_owned(),
            details: "Add the encryption, deployment and measurement the NFRs call for.".to_owned(),
            implements: Vec::new(),
            partially_implements: Vec::new(),
            components: internal,
            depends_on: vec![foundation],
            size: IssueSize::M,
            priority: Priority::Should,
            acceptance_criteria: nfr_criteria,
        });
    }
    IssuePlanDraft { issues }
}
