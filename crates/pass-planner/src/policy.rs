//! Org constraints as a policy checked by code: the architecture's data
//! stores, frameworks, cloud services and shape must fit the run's
//! constraints. Under `strict` a violation is a problem to repair; under
//! `prefer` it is written into the pack's assumptions with its reason.

use pass_contracts::OrgConstraints;
use pass_contracts::org::{ArchitecturePreference, WebFramework};
use pass_contracts::pack::ComponentType;

use crate::sections::{ArchitectureDraft, ArchitectureStyle};

/// One broken rule, naming the component and the constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The component at fault; empty for the architecture as a whole.
    pub component: String,
    /// The constraint's key, e.g. `cloud.allowed_services`.
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.component.is_empty() {
            write!(f, "org constraint {}: {}", self.rule, self.message)
        } else {
            write!(
                f,
                "component {:?} breaks org constraint {}: {}",
                self.component, self.rule, self.message
            )
        }
    }
}

const WEB_TECH: &[&str] = &["nextjs", "react", "vue", "angular", "svelte", "vanilla"];
const API_TECH: &[&str] = &[
    "fastify", "express", "nestjs", "django", "flask", "fastapi", "spring", "rails", "gin",
];
const DB_TECH: &[&str] = &[
    "postgres",
    "mysql",
    "sqlite",
    "dynamodb",
    "mongodb",
    "mariadb",
    "sqlserver",
    "oracle",
    "firestore",
    "file",
];

fn normalise_tech(tech: &str) -> String {
    let t = tech.trim().to_lowercase();
    match t.as_str() {
        "next.js" | "next" => "nextjs".to_owned(),
        "postgresql" | "pg" => "postgres".to_owned(),
        "express.js" | "expressjs" => "express".to_owned(),
        "nest.js" | "nest" => "nestjs".to_owned(),
        _ => t,
    }
}

/// Every way `arch` breaks `org`.
pub fn check(arch: &ArchitectureDraft, org: &OrgConstraints) -> Vec<Violation> {
    let mut out = Vec::new();
    let web = match org.stack.web {
        WebFramework::Nextjs => "nextjs",
        WebFramework::React => "react",
        WebFramework::None => "none",
    };
    let api = crate::offline::api_tech(org.stack.api);
    let db = crate::offline::db_tech(org.stack.primary_db);
    let allowed: Vec<String> = org
        .cloud
        .allowed_services
        .iter()
        .map(|s| s.trim().to_lowercase())
        .collect();
    for c in &arch.components {
        let tech = normalise_tech(&c.technology);
        match c.kind {
            ComponentType::Web if web == "none" => out.push(Violation {
                component: c.name.clone(),
                rule: "stack.web",
                message: "the org's stack has no web front end (stack.web: none)".to_owned(),
            }),
            ComponentType::Web if WEB_TECH.contains(&tech.as_str()) && tech != web => {
                out.push(Violation {
                    component: c.name.clone(),
                    rule: "stack.web",
                    message: format!("uses {tech}, the org's stack says {web}"),
                })
            }
            ComponentType::Api if API_TECH.contains(&tech.as_str()) && tech != api => {
                out.push(Violation {
                    component: c.name.clone(),
                    rule: "stack.api",
                    message: format!("uses {tech}, the org's stack says {api}"),
                })
            }
            ComponentType::Db if DB_TECH.contains(&tech.as_str()) && tech != db => {
                out.push(Violation {
                    component: c.name.clone(),
                    rule: "stack.primary_db",
                    message: format!("stores data in {tech}, the org's primary database is {db}"),
                })
            }
            _ => {}
        }
        let service = c.cloud_service.trim().to_lowercase();
        if !service.is_empty() && !allowed.contains(&service) {
            out.push(Violation {
                component: c.name.clone(),
                rule: "cloud.allowed_services",
                message: format!(
                    "runs on {service}, which is not among the allowed services ({})",
                    allowed.join(", ")
                ),
            });
        }
        if c.kind == ComponentType::Db && c.publicly_accessible && !org.security.allow_public_db {
            out.push(Violation {
                component: c.name.clone(),
                rule: "security.allow_public_db",
                message: "a database reachable from the internet is not allowed".to_owned(),
            });
        }
    }
    let apis = arch
        .components
        .iter()
        .filter(|c| c.kind == ComponentType::Api)
        .count();
    let workers = arch
        .components
        .iter()
        .filter(|c| c.kind == ComponentType::Worker)
        .count();
    let shape = |message: String| Violation {
        component: String::new(),
        rule: "architecture_preference",
        message,
    };
    match org.architecture_preference {
        ArchitecturePreference::Monolith => {
            if arch.style != ArchitectureStyle::Monolith || apis > 1 || workers > 0 {
                out.push(shape(format!(
                    "the org prefers a monolith; this design is {} with {apis} API and {workers} worker component(s)",
                    arch.style.as_str()
                )));
            }
        }
        ArchitecturePreference::ApiWorker => {
            if apis == 0 || workers == 0 {
                out.push(shape(format!(
                    "the org prefers api_worker; this design has {apis} API and {workers} worker component(s)"
                )));
            }
        }
        ArchitecturePreference::Microservices => {
            if apis < 2 {
                out.push(shape(format!(
                    "the org prefers microservices; this design has {apis} service(s)"
                )));
            }
        }
        ArchitecturePreference::NoPreference => {}
    }
    out
}
