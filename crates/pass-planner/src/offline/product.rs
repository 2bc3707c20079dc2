//! What kind of product the PRD describes and which stack it names: these
//! drive the architecture (a local-first desktop app gets no cloud parts, a
//! WhatsApp bot gets its channel, a stack the PRD names is kept).

use super::document::{Doc, Kind};
use super::scope::line_roles;
use super::text::{any_word, has_word};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    /// Desktop or local-first app: runs on the user's machine.
    LocalApp,
    /// Command-line tool or library.
    Cli,
    Mobile,
    WebSaas,
    ApiService,
    /// Chat or voice bot on messaging channels or phone lines.
    ChatBot,
    DataPipeline,
    Game,
    Embedded,
}

impl ProductKind {
    /// The same kind as the sections name it.
    pub fn draft(self) -> crate::sections::ProductKind {
        use crate::sections::ProductKind as Draft;
        match self {
            ProductKind::LocalApp => Draft::DesktopOrLocalApp,
            ProductKind::Cli => Draft::CliOrLibrary,
            ProductKind::Mobile => Draft::MobileApp,
            ProductKind::WebSaas => Draft::WebSaas,
            ProductKind::ApiService => Draft::ApiService,
            ProductKind::ChatBot => Draft::ChatOrVoiceBot,
            ProductKind::DataPipeline => Draft::DataOrMlPipeline,
            ProductKind::Game => Draft::Game,
            ProductKind::Embedded => Draft::EmbeddedOrIot,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ProductKind::LocalApp => "a desktop / local-first app",
            ProductKind::Cli => "a command-line tool or library",
            ProductKind::Mobile => "a mobile app",
            ProductKind::WebSaas => "a web application",
            ProductKind::ApiService => "an API / backend service",
            ProductKind::ChatBot => "a chat or voice bot on messaging channels",
            ProductKind::DataPipeline => "a data or ML pipeline",
            ProductKind::Game => "a game",
            ProductKind::Embedded => "an embedded / IoT system",
        }
    }
}

/// Which part of a system a technology fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Language,
    Web,
    Api,
    Db,
    Desktop,
    Mobile,
    Queue,
    Cache,
    Ml,
    Engine,
    Device,
    Orm,
    /// Libraries, build and delivery tools a PRD names (state, HTTP client,
    /// styling, bundler, container, package manager, media APIs): they shape
    /// no component of their own, but a stack the PRD names must be kept whole.
    Tool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tech {
    /// The name as people write it.
    pub name: &'static str,
    /// The component technology value (lower case).
    pub key: &'static str,
    pub layer: Layer,
    /// Lower-case spellings to look for.
    pub spellings: &'static [&'static str],
}

const fn t(
    name: &'static str,
    key: &'static str,
    layer: Layer,
    spellings: &'static [&'static str],
) -> Tech {
    Tech {
        name,
        key,
        layer,
        spellings,
    }
}

use Layer::*;

pub const STACK: &[Tech] = &[
    t("TypeScript", "typescript", Language, &["typescript"]),
    t("Node.js", "node", Language, &["node.js", "nodejs"]),
    t("Python", "python", Language, &["python"]),
    t("Go", "go", Language, &["golang", "go 1."]),
    t("Rust", "rust", Language, &["rust"]),
    t("Java", "java", Language, &["java"]),
    t("Kotlin", "kotlin", Language, &["kotlin"]),
    t("Swift", "swift", Language, &["swift"]),
    t("C#", "csharp", Language, &["c#", ".net"]),
    t("Ruby", "ruby", Language, &["ruby"]),
    t("PHP", "php", Language, &["php"]),
    t("Elixir", "elixir", Language, &["elixir"]),
    t("Dart", "dart", Language, &["dart"]),
    t("C++", "cpp", Language, &["c++"]),
    t("Next.js", "nextjs", Web, &["next.js", "nextjs"]),
    t("React", "react", Web, &["react", "react.js", "reactjs"]),
    t("Vue", "vue", Web, &["vue", "vue.js", "vuejs"]),
    t("Nuxt", "nuxt", Web, &["nuxt"]),
    t("Svelte", "svelte", Web, &["svelte", "sveltekit"]),
    t("Angular", "angular", Web, &["angular"]),
    t("Remix", "remix", Web, &["remix"]),
    t("Astro", "astro", Web, &["astro"]),
    t("SolidJS", "solid", Web, &["solidjs"]),
    t("HTMX", "htmx", Web, &["htmx"]),
    t(
        "Vanilla JavaScript",
        "vanilla",
        Web,
        &["vanilla javascript", "vanilla js"],
    ),
    t("Streamlit", "streamlit", Web, &["streamlit"]),
    t(
        "Express",
        "express",
        Api,
        &["express", "express.js", "expressjs"],
    ),
    t("Fastify", "fastify", Api, &["fastify"]),
    t("NestJS", "nestjs", Api, &["nestjs", "nest.js"]),
    t("FastAPI", "fastapi", Api, &["fastapi"]),
    t("Django", "django", Api, &["django"]),
    t("Flask", "flask", Api, &["flask"]),
    t("Rails", "rails", Api, &["rails", "ruby on rails"]),
    t("Laravel", "laravel", Api, &["laravel"]),
    t("Spring Boot", "spring", Api, &["spring boot", "spring"]),
    t("Gin", "gin", Api, &["gin"]),
    t("Axum", "axum", Api, &["axum"]),
    t("Actix", "actix", Api, &["actix"]),
    t("Phoenix", "phoenix", Api, &["phoenix"]),
    t("ASP.NET Core", "aspnet", Api, &["asp.net"]),
    t("Hono", "hono", Api, &["hono"]),
    t("tRPC", "trpc", Api, &["trpc"]),
    t("PostgreSQL", "postgres", Db, &["postgres", "postgresql"]),
    t("MySQL", "mysql", Db, &["mysql"]),
    t("SQLite", "sqlite", Db, &["sqlite"]),
    t("MongoDB", "mongodb", Db, &["mongodb", "mongo"]),
    t("DynamoDB", "dynamodb", Db, &["dynamodb"]),
    t("Supabase", "supabase", Db, &["supabase"]),
    t("Firestore", "firestore", Db, &["firestore", "firebase"]),
    t("IndexedDB", "indexeddb", Db, &["indexeddb"]),
    t("DuckDB", "duckdb", Db, &["duckdb"]),
    t("ClickHouse", "clickhouse", Db, &["clickhouse"]),
    t("Neo4j", "neo4j", Db, &["neo4j"]),
    t("Redis", "redis", Cache, &["redis"]),
    t("Prisma", "prisma", Orm, &["prisma"]),
    t("Drizzle", "drizzle", Orm, &["drizzle"]),
    t("Tauri", "tauri", Desktop, &["tauri"]),
    t("Electron", "electron", Desktop, &["electron"]),
    t("Qt", "qt", Desktop, &["qt"]),
    t(
        "React Native",
        "react-native",
        Mobile,
        &["react native", "react-native"],
    ),
    t("Expo", "expo", Mobile, &["expo"]),
    t("Flutter", "flutter", Mobile, &["flutter"]),
    t("SwiftUI", "swiftui", Mobile, &["swiftui"]),
    t("Jetpack Compose", "compose", Mobile, &["jetpack compose"]),
    t("RabbitMQ", "rabbitmq", Queue, &["rabbitmq"]),
    t("Kafka", "kafka", Queue, &["kafka"]),
    t("BullMQ", "bullmq", Queue, &["bullmq", "bull queue"]),
    t("Celery", "celery", Queue, &["celery"]),
    t("PyTorch", "pytorch", Ml, &["pytorch"]),
    t("TensorFlow", "tensorflow", Ml, &["tensorflow"]),
    t("scikit-learn", "sklearn", Ml, &["scikit-learn", "sklearn"]),
    t("Airflow", "airflow", Ml, &["airflow"]),
    t("dbt", "dbt", Ml, &["dbt"]),
    t("Spark", "spark", Ml, &["apache spark", "pyspark"]),
    t("Unity", "unity", Engine, &["unity"]),
    t("Unreal Engine", "unreal", Engine, &["unreal"]),
    t("Godot", "godot", Engine, &["godot"]),
    t("Phaser", "phaser", Engine, &["phaser"]),
    t("Bevy", "bevy", Engine, &["bevy"]),
    t("ESP32", "esp32", Device, &["esp32"]),
    t("Arduino", "arduino", Device, &["arduino"]),
    t("Raspberry Pi", "raspberry-pi", Device, &["raspberry pi"]),
    t("MQTT", "mqtt", Device, &["mqtt"]),
    t("TypeORM", "typeorm", Orm, &["typeorm"]),
    t("Sequelize", "sequelize", Orm, &["sequelize"]),
    t("SQLAlchemy", "sqlalchemy", Orm, &["sqlalchemy"]),
    t("Hibernate", "hibernate", Orm, &["hibernate"]),
    t("Mongoose", "mongoose", Orm, &["mongoose"]),
    t("Docker", "docker", Tool, &["docker", "dockerfile"]),
    t(
        "Docker Compose",
        "docker-compose",
        Tool,
        &["docker compose", "docker-compose"],
    ),
    t("Kubernetes", "kubernetes", Tool, &["kubernetes", "k8s"]),
    t("Vite", "vite", Tool, &["vite"]),
    t("Webpack", "webpack", Tool, &["webpack"]),
    t(
        "Tailwind CSS",
        "tailwind",
        Tool,
        &["tailwind", "tailwindcss"],
    ),
    t("Axios", "axios", Tool, &["axios"]),
    t("Redux", "redux", Tool, &["redux"]),
    t(
        "React Router",
        "react-router",
        Tool,
        &["react router", "react-router"],
    ),
    t("Expo Router", "expo-router", Tool, &["expo router"]),
    t("pnpm", "pnpm", Tool, &["pnpm"]),
    t("Maven", "maven", Tool, &["maven"]),
    t("Gradle", "gradle", Tool, &["gradle"]),
    t(
        "Spring Security",
        "spring-security",
        Tool,
        &["spring security"],
    ),
    t("APScheduler", "apscheduler", Tool, &["apscheduler"]),
    t("AVFoundation", "avfoundation", Tool, &["avfoundation"]),
    t("WebRTC", "webrtc", Tool, &["webrtc"]),
    t("Leaflet", "leaflet", Tool, &["leaflet"]),
    t("deck.gl", "deckgl", Tool, &["deck.gl", "deckgl"]),
    t(
        "TileServer GL",
        "tileserver-gl",
        Tool,
        &["tileserver gl", "tileservergl", "tileserver-gl"],
    ),
    t(
        "React Native Maps",
        "react-native-maps",
        Tool,
        &["react native maps", "react-native-maps"],
    ),
    t(
        "JWT",
        "jwt",
        Tool,
        &["jwt", "json web token", "json web tokens"],
    ),
    t("Jest", "jest", Tool, &["jest"]),
    t("Playwright", "playwright", Tool, &["playwright"]),
];

/// What the reader understood of the product.
#[derive(Debug, Clone)]
pub struct Product {
    pub kind: ProductKind,
    /// Technologies the PRD names for the product, in PRD order.
    pub stack: Vec<Tech>,
    /// The PRD forbids network traffic or cloud services.
    pub no_network: bool,
    pub signals: Signals,
}

impl Product {
    pub fn named(&self, layer: Layer) -> Option<Tech> {
        self.stack.iter().copied().find(|t| t.layer == layer)
    }
}

/// Words that steer the architecture's optional parts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Signals {
    pub background_work: bool,
    pub files: bool,
    pub auth: bool,
    pub no_auth: bool,
    pub database: bool,
    pub realtime: bool,
    pub web_ui: bool,
    /// The PRD names a phone app that goes with the product ("iPhone
    /// companion app", "Android app"): a desktop app then has two clients.
    pub companion_app: bool,
}

/// The PRD's words that are about the product (not context, non-goals or
/// future ideas), lower case, one unit per line.
pub fn product_text(doc: &Doc, title: Option<&str>) -> String {
    doc.lines
        .iter()
        .zip(line_roles(doc, title))
        .filter(|(l, role)| l.kind != Kind::Code && !role.is_passing_mention())
        .map(|(l, _)| l.text.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The words the named stack is read from: the product text plus the lines
/// of box-and-arrow diagrams in code blocks (an architecture sketch in a
/// fenced block is often the only place a PRD names its languages), minus
/// the cells of a table column that holds what a spec asked for or used
/// before ("PRD specifies", "Replaced", "Original"): those technologies were
/// not kept. Kept apart from [`product_text`] so that the product kind and
/// NFRs read what they read before.
fn stack_text(doc: &Doc, title: Option<&str>) -> String {
    doc.lines
        .iter()
        .zip(line_roles(doc, title))
        .filter(|(l, role)| {
            (l.kind != Kind::Code || is_diagram_line(&l.text)) && !role.is_passing_mention()
        })
        .map(|(l, _)| match (&l.kind, &l.header) {
            (Kind::TableRow, Some(header)) if header.iter().any(|h| superseded_column(h)) => l
                .cells
                .iter()
                .zip(
                    header
                        .iter()
                        .map(|h| superseded_column(h))
                        .chain(std::iter::repeat(false)),
                )
                .filter(|(_, old)| !old)
                .map(|(c, _)| c.to_lowercase())
                .collect::<Vec<_>>()
                .join(" | "),
            _ => l.text.to_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A line of a box-drawing or arrow diagram, not of program code.
fn is_diagram_line(line: &str) -> bool {
    line.chars()
        .any(|c| ('\u{2500}'..='\u{257F}').contains(&c) || matches!(c, '→' | '←' | '↓' | '↑'))
        || line.contains("-->")
        || line.contains("──")
}

/// A table column (its lower-case header) that holds what a spec asked for
/// or what was used before, when another column holds what is built now.
fn superseded_column(header: &str) -> bool {
    const PHRASES: &[&str] = &[
        "specifies",
        "asked for",
        "instead of",
        "replaced",
        "removed",
    ];
    const FIRST_WORDS: &[&str] = &["was", "old", "before", "previous", "original", "originally"];
    let first = header
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    // "Replaced by" heads the new choice, not the old one.
    !header.contains("replaced by")
        && (PHRASES.iter().any(|p| header.contains(p)) || FIRST_WORDS.contains(&first))
}

pub fn read(doc: &Doc, title: Option<&str>, summary: &str) -> Product {
    let text = product_text(doc, title);
    let head = format!(
        "{} {}",
        title.unwrap_or("").to_lowercase(),
        summary.to_lowercase()
    );
    let head = head.as_str();
    let all = format!("{head}\n{text}");
    let stack = named_stack(&stack_text(doc, title));
    // The kind is read from the prose alone, as before diagrams and tool
    // names were read: a SwiftUI in a Mac app's architecture sketch does not
    // make it a mobile app.
    let prose_stack = named_stack(&text);
    let no_network = [
        "shall not transmit",
        "must not transmit",
        "not transmit any data",
        "no network",
        "never leaves the device",
        "never leave the device",
        "no data leaves",
        "fully offline",
        "without an internet connection",
        "no cloud",
        "no server",
        "without a server",
        "no backend",
        "never sent to a server",
        "stays on the device",
        "stay on the device",
        "100% local",
        "entirely local",
    ]
    .iter()
    .any(|p| all.contains(p));
    let kind = kind_of(head, &all, &prose_stack, no_network);
    let signals = signals(&all, kind);
    Product {
        kind,
        stack,
        no_network,
        signals,
    }
}

fn named_stack(text: &str) -> Vec<Tech> {
    let mut found: Vec<(usize, Tech)> = Vec::new();
    for tech in STACK {
        let first = tech
            .spellings
            .iter()
            .filter_map(|s| first_product_mention(text, s))
            .min();
        if let Some(at) = first {
            // "React" inside "React Native" is the mobile framework only.
            if tech.key == "react"
                && !react_as_technology(
                    &text.replace("react native", "").replace("react-native", ""),
                )
            {
                continue;
            }
            if tech.key == "java" && !has_word(&text.replace("javascript", ""), "java") {
                continue;
            }
            if tech.key == "rails" && !rails_as_framework(text) {
                continue;
            }
            found.push((at, *tech));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, t)| t).collect()
}

/// Whether lower-case `text` names Ruby on Rails, not the rails of payments,
/// trains or guard rails: payment specs say "collection rail", "UPI rail"
/// and head a table row "Rails". A PRD that names Ruby, or says "Ruby on
/// Rails", means the framework; one that also writes "rail" in the
/// singular, or only "payment rails" / "guard rails", means the noun.
fn rails_as_framework(text: &str) -> bool {
    if has_word(text, "ruby") || text.contains("ruby on rails") {
        return true;
    }
    if has_word(text, "rail") {
        return false;
    }
    let mut rest = text.to_owned();
    for noun in [
        "payment rails",
        "banking rails",
        "guard rails",
        "settlement rails",
        "crypto rails",
        "train rails",
    ] {
        rest = rest.replace(noun, "");
    }
    has_word(&rest, "rails")
}

/// Whether lower-case `text` names React the library somewhere, not only
/// the verb ("users react with an emoji", "react to a message", "(react)
/// để đăng ký"): a mention followed by a preposition or an emoji is the verb.
fn react_as_technology(text: &str) -> bool {
    const AFTER_VERB: &[&str] = &[
        "to", "with", "on", "by", "và", "với", "để", "trước", "auf", "mit", "à", "avec", "con",
        "com",
    ];
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|t| t.find("react")) {
        let start = from + pos;
        let end = start + "react".len();
        from = end;
        let before_ok = !text[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let after_ok = !text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if !(before_ok && after_ok) {
            continue;
        }
        let rest = text[end..].trim_start_matches([')', ' ']);
        let next_word: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
        let emoji_next = rest
            .chars()
            .next()
            .is_some_and(|c| !c.is_ascii() && !c.is_alphanumeric());
        if !emoji_next && !AFTER_VERB.contains(&next_word.as_str()) {
            return true;
        }
    }
    false
}

/// Offset of the first mention of `word` that is not a comparison or an exclusion.
fn first_product_mention(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = text.get(from..)?.find(word) {
        let start = from + pos;
        let end = start + word.len();
        let before_ok = !text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '.');
        let after_ok = !text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            let clause_start = text[..start]
                .rfind(['.', ';', '\n', '('])
                .map_or(0, |p| p + 1);
            let clause = &text[clause_start..start];
            let clause_end = text[end..]
                .find(['.', ';', '\n'])
                .map_or(text.len(), |p| end + p);
            let after = &text[end..clause_end];
            // "Kubernetes cluster (future)": named for a later phase.
            let later = ["(future", "(later", "(post-v1", "(phase 2", "(v2"]
                .iter()
                .any(|p| after.contains(p));
            if !later
                && ![
                    "instead of",
                    "not ",
                    "no ",
                    "without",
                    "unlike",
                    "rather than",
                    "replace",
                    "avoid",
                    " vs ",
                    " vs. ",
                    "versus",
                ]
                .iter()
                .any(|p| clause.contains(p))
            {
                return Some(start);
            }
        }
        from = end;
        while from < text.len() && !text.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

fn count(text: &str, words: &[&str]) -> usize {
    words.iter().filter(|w| has_word(text, w)).count()
}

/// Phrases that say the product runs on the user's own computer: a desktop
/// or menu-bar app, a tool run locally, or a feature of an existing desktop
/// app (its "IPC" and "renderer" are Electron's and Tauri's process split).
/// Phrases in other languages are matched as substrings, since Chinese and
/// Japanese put no spaces between words and Korean attaches particles.
const LOCAL_APP: &[&str] = &[
    "offline-first",
    "desktop app",
    "desktop application",
    "desktop client",
    "desktop widget",
    "on-device",
    "works offline",
    "macos app",
    "mac app",
    "windows app",
    "menu bar",
    "menubar",
    "system tray",
    "tray icon",
    "local files",
    "ipc",
    "renderer process",
    "renderer-side",
    "main process",
    "локальна програма",
    "десктопн",
    "настольное приложение",
    "데스크톱 앱",
    "데스크탑 앱",
    "mac 앱",
    "맥 앱",
    "메뉴바",
    "桌面应用",
    "桌面應用",
    "菜单栏",
    "選單列",
    "デスクトップアプリ",
    "メニューバー",
    "aplicación de escritorio",
    "aplicativo desktop",
    "application de bureau",
    "desktop-anwendung",
    "desktop-app",
];

/// Phrases naming a phone app that accompanies the product. For a desktop
/// app this is a second client to plan; a mobile product is one already.
const COMPANION_APP: &[&str] = &[
    "companion app",
    "iphone app",
    "ios app",
    "android app",
    "phone app",
    "mobile companion",
    "컴패니언 앱",
    "iphone 앱",
    "ios 앱",
    "안드로이드 앱",
    "配套应用",
    "手机应用",
    "iphone应用",
    "コンパニオンアプリ",
    "iphoneアプリ",
    "aplicación móvil complementaria",
    "app complementaria",
    "application compagnon",
    "begleit-app",
];

/// Phrases that say the phone app is a companion to something else.
const COMPANION_ONLY: &[&str] = &[
    "companion app",
    "mobile companion",
    "companion mobile app",
    "컴패니언",
    "コンパニオン",
    "配套应用",
    "complementaria",
    "application compagnon",
    "begleit-app",
];

/// Statements that the product runs on the user's machine: one is enough
/// to outweigh a passing "REST API" or "dashboard".
const RUNS_LOCALLY: &[&str] = &[
    "local-first",
    "runs locally",
    "run locally",
    "running locally",
    "on the user's machine",
    "локальний запуск",
    "запускається локально",
    "локальный запуск",
    "запускается локально",
    "로컬 실행",
    "로컬에서 실행",
    "本地运行",
    "本地運行",
    "本地執行",
    "ローカルで動作",
    "ローカル実行",
    "se ejecuta localmente",
    "ejecución local",
    "lokal ausgeführt",
    "s'exécute en local",
];

/// How many of `phrases` occur in lower-case `text`: ASCII phrases as whole
/// words, others as substrings.
fn count_phrases(text: &str, phrases: &[&str]) -> usize {
    phrases
        .iter()
        .filter(|p| {
            if p.is_ascii() {
                has_word(text, p)
            } else {
                text.contains(*p)
            }
        })
        .count()
}

fn kind_of(head: &str, all: &str, stack: &[Tech], no_network: bool) -> ProductKind {
    let layer = |l: Layer| stack.iter().any(|t| t.layer == l);
    // A product with a "companion app" on the phone is not the phone app:
    // its iOS and Android words describe the second client.
    let companion = count_phrases(all, COMPANION_ONLY) > 0;
    let scores: Vec<(ProductKind, usize)> = vec![
        (
            ProductKind::LocalApp,
            count_phrases(all, LOCAL_APP) * 2
                + count_phrases(all, RUNS_LOCALLY) * 4
                + usize::from(layer(Desktop)) * 4
                + usize::from(no_network) * 4,
        ),
        (
            ProductKind::Cli,
            count(
                all,
                &[
                    "cli",
                    "command-line",
                    "command line",
                    "terminal",
                    "npm package",
                    "library",
                    "sdk",
                    "crate",
                    "subcommand",
                    "flags",
                    "stdout",
                ],
            ) * 2
                + count(head, &["cli", "command-line", "command", "library", "sdk"]) * 3,
        ),
        (
            ProductKind::Mobile,
            count(
                all,
                &[
                    "ios",
                    "android",
                    "mobile app",
                    "app store",
                    "play store",
                    "push notification",
                    "push notifications",
                    "smartphone",
                ],
            ) * 2
                * usize::from(!companion)
                + usize::from(layer(Mobile)) * 4
                + count(head, &["mobile", "ios", "android"]) * 3,
        ),
        (
            ProductKind::ChatBot,
            count(
                all,
                &[
                    "whatsapp",
                    "telegram",
                    "chatbot",
                    "chat bot",
                    "voice agent",
                    "voice assistant",
                    "receptionist",
                    "phone call",
                    "phone calls",
                    "twilio",
                    "vapi",
                    "slack bot",
                    "discord bot",
                    "messenger",
                    "inbound calls",
                    "conversational",
                ],
            ) * 2
                + count(head, &["bot", "assistant", "receptionist", "agent"]) * 3,
        ),
        (
            ProductKind::DataPipeline,
            count(
                all,
                &[
                    "pipeline",
                    "etl",
                    "ingestion",
                    "data warehouse",
                    "model training",
                    "training data",
                    "dataset",
                    "datasets",
                    "batch job",
                    "feature store",
                    "inference",
                ],
            ) * 2
                + usize::from(layer(Ml)) * 3,
        ),
        (
            ProductKind::Game,
            count(
                all,
                &[
                    "game",
                    "gameplay",
                    "player",
                    "players",
                    "levels",
                    "multiplayer",
                    "leaderboard",
                    "sprite",
                ],
            ) * 2
                + usize::from(layer(Engine)) * 5
                + count(head, &["game"]) * 4,
        ),
        (
            ProductKind::Embedded,
            count(
                all,
                &[
                    "firmware",
                    "iot",
                    "sensor",
                    "sensors",
                    "microcontroller",
                    "ble",
                    "bluetooth low energy",
                    "embedded",
                ],
            ) * 2
                + usize::from(layer(Device)) * 4,
        ),
        (
            ProductKind::ApiService,
            count(
                all,
                &[
                    "rest api",
                    "api service",
                    "backend service",
                    "microservice",
                    "endpoints",
                    "openapi",
                    "graphql api",
                    "webhook",
                ],
            ) * 2,
        ),
        (
            ProductKind::WebSaas,
            count(
                all,
                &[
                    "web app",
                    "web application",
                    "browser",
                    "dashboard",
                    "saas",
                    "website",
                    "landing page",
                    "web ui",
                    "web interface",
                    "frontend",
                ],
            ) * 2
                + usize::from(layer(Web)) * 2,
        ),
    ];
    // Earlier entries win ties: they are the more specific kinds.
    let best = scores
        .iter()
        .enumerate()
        .max_by(|(ia, (_, a)), (ib, (_, b))| a.cmp(b).then(ib.cmp(ia)))
        .map(|(_, (kind, score))| (*kind, *score));
    match best {
        Some((kind, score)) if score >= 4 => kind,
        _ if no_network => ProductKind::LocalApp,
        _ if any_word(all, &["cli", "command-line", "terminal"]) => ProductKind::Cli,
        _ => ProductKind::WebSaas,
    }
}

fn signals(lower: &str, kind: ProductKind) -> Signals {
    let web_ui = matches!(
        kind,
        ProductKind::WebSaas | ProductKind::LocalApp | ProductKind::Mobile | ProductKind::Game
    ) || any_word(
        lower,
        &[
            "web ui",
            "web interface",
            "dashboard",
            "browser",
            "admin panel",
            "kanban",
        ],
    );
    Signals {
        background_work: any_word(
            lower,
            &[
                "email",
                "emails",
                "notification",
                "notifications",
                "reminder",
                "reminders",
                "background",
                "queue",
                "scheduled",
                "cron",
                "webhook",
                "webhooks",
                "batch",
                "async",
                "asynchronous",
                "nightly",
            ],
        ),
        files: any_word(
            lower,
            &[
                "upload",
                "uploads",
                "attachment",
                "attachments",
                "image",
                "images",
                "photo",
                "photos",
                "document storage",
                "pdf",
                "pdfs",
                "audio files",
                "video files",
                "recordings",
            ],
        ),
        auth: any_word(
            lower,
            &[
                "login",
                "log in",
                "sign in",
                "sign-in",
                "signup",
                "sign up",
                "account",
                "accounts",
                "authentication",
                "password",
                "oauth",
                "sso",
            ],
        ),
        companion_app: count_phrases(lower, COMPANION_APP) > 0,
        no_auth: lower.contains("no authentication")
            || lower.contains("no login")
            || lower.contains("no account"),
        database: any_word(
            lower,
            &[
                "database",
                "postgres",
                "postgresql",
                "mysql",
                "sqlite",
                "dynamodb",
                "mongodb",
                "sql",
                "persist",
                "persisted",
                "stored",
                "store",
                "history",
                "supabase",
                "firestore",
            ],
        ),
        realtime: any_word(
            lower,
            &[
                "real-time",
                "realtime",
                "websocket",
                "websockets",
                "live updates",
            ],
        ),
        web_ui,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::document::normalise;

    fn product(prd: &str) -> Product {
        let doc = Doc::parse(&normalise(prd));
        read(&doc, None, "")
    }

    #[test]
    fn kinds_and_named_stacks() {
        let local = product(
            "# Vault\n\nA desktop app built with Tauri and SQLite. It shall not transmit any data over the network.\n",
        );
        assert_eq!(local.kind, ProductKind::LocalApp);
        assert!(local.no_network);
        let keys: Vec<&str> = local.stack.iter().map(|t| t.key).collect();
        assert_eq!(keys, ["tauri", "sqlite"]);

        let bot = product(
            "# Front desk\n\nAn AI receptionist that answers customers on WhatsApp and books visits.\n\n## Stack\n\n- FastAPI backend\n- Supabase for data\n",
        );
        assert_eq!(bot.kind, ProductKind::ChatBot);
        assert_eq!(bot.named(Layer::Api).map(|t| t.key), Some("fastapi"));
        assert_eq!(bot.named(Layer::Db).map(|t| t.key), Some("supabase"));

        let cli = product(
            "# lintkit\n\nA command-line tool that checks Markdown files. Run it in a terminal with flags.\n",
        );
        assert_eq!(cli.kind, ProductKind::Cli);

        let mobile = product(
            "# Walkies\n\nAn iOS and Android app built with React Native. Owners get push notifications.\n",
        );
        assert_eq!(mobile.kind, ProductKind::Mobile);
        assert!(
            mobile.named(Layer::Web).is_none(),
            "React Native is not React for the web"
        );

        let excluded = product(
            "# Notes\n\nA web app for notes in the browser, built with Svelte instead of React.\n",
        );
        assert_eq!(excluded.named(Layer::Web).map(|t| t.key), Some("svelte"));
    }

    #[test]
    fn a_planned_stack_table_is_read_and_a_replaced_column_is_not() {
        let planned = product(
            "# Board\n\nA web app.\n\n## Stack\n\n| Layer | Planned technology |\n|---|---|\n| API | Django |\n",
        );
        assert_eq!(planned.named(Layer::Api).map(|t| t.key), Some("django"));
        let replaced = product(
            "# Board\n\nA web app.\n\n## Stack\n\n| Layer | Original choice | Now |\n|---|---|---|\n| API | Rails | Django |\n",
        );
        let keys: Vec<&str> = replaced.stack.iter().map(|t| t.key).collect();
        assert_eq!(keys, ["django"]);
        let replaced_by = product(
            "# Board\n\nA web app.\n\n| Area | What was built | Replaced by |\n|---|---|---|\n| API | Flask | Django |\n",
        );
        let keys: Vec<&str> = replaced_by.stack.iter().map(|t| t.key).collect();
        assert_eq!(keys, ["flask", "django"]);
    }

    #[test]
    fn local_apps_are_recognised_in_other_languages_and_by_their_process_split() {
        for prd in [
            "# 便签\n\n一个在 macOS 菜单栏里的小工具，本地运行，提供一个 REST API。\n",
            "# 메모\n\n메뉴바에 상주하는 Mac 앱입니다. 대시보드는 없습니다.\n",
            "# Заметки\n\nЛокальный запуск на рабочем компьютере; REST API для скриптов.\n",
            "# Clips\n\n## Notes\n\n- The list is filtered renderer-side; a new `clips:list` IPC call returns rows.\n",
        ] {
            assert_eq!(product(prd).kind, ProductKind::LocalApp, "{prd}");
        }
        let web = product("# Board\n\nA web app with a dashboard in the browser.\n");
        assert_eq!(web.kind, ProductKind::WebSaas);
    }
}
