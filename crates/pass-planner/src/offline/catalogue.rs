//! Hosted services PRDs name, with their category and what a product uses
//! them for. `exact` names are common words too ("Square", "Linear"): they
//! count only when written with their capital.

/// One service the reader recognises.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub name: &'static str,
    /// Other spellings, lower case unless `exact`.
    pub aliases: &'static [&'static str],
    pub category: Category,
    pub purpose: &'static str,
    /// Only the capitalised spelling counts.
    pub exact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Payments,
    Email,
    SmsVoice,
    Messaging,
    Llm,
    Speech,
    Identity,
    Backend,
    Database,
    Storage,
    Maps,
    Analytics,
    Monitoring,
    Crm,
    Calendar,
    Video,
    Search,
    SourceHosting,
    Tracking,
    Productivity,
    Commerce,
    Accounting,
    Shipping,
    Social,
    Push,
    Hosting,
    Jobs,
    VectorDb,
    Data,
    Verification,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Payments => "payments",
            Category::Email => "email",
            Category::SmsVoice => "SMS and voice",
            Category::Messaging => "messaging channel",
            Category::Llm => "language model",
            Category::Speech => "speech",
            Category::Identity => "identity",
            Category::Backend => "backend as a service",
            Category::Database => "managed database",
            Category::Storage => "file storage",
            Category::Maps => "maps and places",
            Category::Analytics => "product analytics",
            Category::Monitoring => "monitoring",
            Category::Crm => "CRM",
            Category::Calendar => "calendar",
            Category::Video => "video",
            Category::Search => "search",
            Category::SourceHosting => "source hosting",
            Category::Tracking => "work tracking",
            Category::Productivity => "documents and productivity",
            Category::Commerce => "commerce",
            Category::Accounting => "accounting",
            Category::Shipping => "shipping",
            Category::Social => "social network",
            Category::Push => "push notifications",
            Category::Hosting => "hosting",
            Category::Jobs => "background jobs",
            Category::VectorDb => "vector search",
            Category::Data => "data provider",
            Category::Verification => "identity verification",
        }
    }

    /// What calls to a service of this kind look like, for the contract stub.
    pub fn stub(self) -> &'static str {
        match self {
            Category::Payments => {
                "Create a payment or checkout session; verify signed webhooks for payment results"
            }
            Category::Email => {
                "Send templated email through the provider's HTTP API; handle bounce and complaint webhooks"
            }
            Category::SmsVoice => {
                "Send messages or place calls through the REST API; receive status and inbound webhooks"
            }
            Category::Messaging => {
                "Receive inbound messages by webhook; send replies through the platform's send API"
            }
            Category::Llm => {
                "Send prompts to the model API with a timeout and token budget; parse structured replies"
            }
            Category::Speech => {
                "Stream audio for transcription or synthesis over the provider's API"
            }
            Category::Identity => "OIDC / OAuth sign-in; verify the issued tokens on every request",
            Category::Backend | Category::Database | Category::VectorDb => {
                "Client SDK or connection string with scoped credentials"
            }
            Category::Storage => "Upload and download objects; hand out short-lived signed URLs",
            Category::Jobs => {
                "Enqueue events or jobs through the SDK; the service calls back the handlers"
            }
            _ => "HTTPS API calls with an API key kept in the secret store; retries with backoff",
        }
    }
}

const fn s(
    name: &'static str,
    aliases: &'static [&'static str],
    category: Category,
    purpose: &'static str,
) -> Service {
    Service {
        name,
        aliases,
        category,
        purpose,
        exact: false,
    }
}

const fn exact(
    name: &'static str,
    aliases: &'static [&'static str],
    category: Category,
    purpose: &'static str,
) -> Service {
    Service {
        name,
        aliases,
        category,
        purpose,
        exact: true,
    }
}

use Category::*;

pub const SERVICES: &[Service] = &[
    // Payments
    s(
        "Stripe",
        &[],
        Payments,
        "Card payments, subscriptions and payouts",
    ),
    s("PayPal", &[], Payments, "PayPal checkout and payouts"),
    s("Braintree", &[], Payments, "Card and wallet payments"),
    s("Adyen", &[], Payments, "Card and local payment methods"),
    exact(
        "Square",
        &[],
        Payments,
        "In-person and online card payments",
    ),
    s(
        "Paddle",
        &[],
        Payments,
        "Subscription billing as merchant of record",
    ),
    s(
        "Lemon Squeezy",
        &["lemonsqueezy"],
        Payments,
        "Subscription billing as merchant of record",
    ),
    s("Razorpay", &[], Payments, "Payments in India"),
    s(
        "Cashfree",
        &[],
        Payments,
        "Payments, payouts and bank account verification in India",
    ),
    s("Mollie", &[], Payments, "European payment methods"),
    s("Klarna", &[], Payments, "Buy now, pay later"),
    s(
        "Przelewy24",
        &["p24"],
        Payments,
        "Polish bank transfer payments",
    ),
    exact("BLIK", &[], Payments, "Polish mobile payments"),
    s(
        "Apple Pay",
        &[],
        Payments,
        "Wallet payments on Apple devices",
    ),
    s(
        "Google Pay",
        &[],
        Payments,
        "Wallet payments on Android and the web",
    ),
    s("Chargebee", &[], Payments, "Subscription billing"),
    s("RevenueCat", &[], Payments, "In-app subscriptions"),
    s("Coinbase Commerce", &[], Payments, "Crypto payments"),
    s(
        "Plaid",
        &[],
        Payments,
        "Bank account linking and transactions",
    ),
    exact(
        "Wise",
        &["TransferWise"],
        Payments,
        "International transfers",
    ),
    // Email
    s("SendGrid", &[], Email, "Transactional email"),
    s("Mailgun", &[], Email, "Transactional email"),
    s("Postmark", &[], Email, "Transactional email"),
    exact("Resend", &[], Email, "Transactional email"),
    s("Amazon SES", &["aws ses"], Email, "Transactional email"),
    s("Mailchimp", &[], Email, "Marketing email and audiences"),
    s(
        "Brevo",
        &["sendinblue"],
        Email,
        "Marketing and transactional email",
    ),
    s("ConvertKit", &["kit.com"], Email, "Newsletters"),
    exact("Loops", &["loops.so"], Email, "Product email"),
    s("Customer.io", &[], Email, "Lifecycle messaging"),
    // SMS, voice
    s(
        "Twilio",
        &[],
        SmsVoice,
        "SMS, voice calls and phone numbers",
    ),
    s("Vonage", &["nexmo"], SmsVoice, "SMS and voice"),
    s("MessageBird", &["bird.com"], SmsVoice, "SMS and messaging"),
    s("Plivo", &[], SmsVoice, "SMS and voice"),
    s("Telnyx", &[], SmsVoice, "Voice and SMS"),
    s(
        "Vapi",
        &["vapi.ai"],
        SmsVoice,
        "Voice agents over phone calls",
    ),
    s(
        "Retell AI",
        &["retell"],
        SmsVoice,
        "Voice agents over phone calls",
    ),
    // Messaging channels
    s(
        "WhatsApp",
        &["whatsapp business", "whatsapp cloud api"],
        Messaging,
        "Customer conversations on WhatsApp",
    ),
    s("Telegram", &[], Messaging, "Bot conversations on Telegram"),
    exact(
        "Slack",
        &[],
        Messaging,
        "Team notifications and bot commands in Slack",
    ),
    s(
        "Discord",
        &[],
        Messaging,
        "Community bot and notifications on Discord",
    ),
    s(
        "Microsoft Teams",
        &["ms teams"],
        Messaging,
        "Team notifications in Microsoft Teams",
    ),
    s(
        "Facebook Messenger",
        &["messenger platform"],
        Messaging,
        "Customer conversations on Messenger",
    ),
    exact("Signal", &[], Messaging, "Messages on Signal"),
    s("Intercom", &[], Messaging, "Customer support chat"),
    s("Zendesk", &[], Messaging, "Support tickets"),
    exact("Crisp", &["Crisp chat"], Messaging, "Website chat"),
    exact("LINE", &[], Messaging, "Conversations on LINE"),
    // Language models
    s(
        "OpenAI",
        &["gpt-4", "gpt-4o", "gpt-5", "chatgpt api", "openai api"],
        Llm,
        "Language model completions",
    ),
    s(
        "Anthropic",
        &["claude api", "anthropic api"],
        Llm,
        "Language model completions (Claude)",
    ),
    s(
        "Google Gemini",
        &["gemini"],
        Llm,
        "Language model completions (Gemini)",
    ),
    s(
        "Mistral",
        &["mistral ai"],
        Llm,
        "Language model completions",
    ),
    exact("Cohere", &[], Llm, "Language models and embeddings"),
    s("Groq", &[], Llm, "Fast language model inference"),
    s("Together AI", &[], Llm, "Hosted open models"),
    s("OpenRouter", &[], Llm, "One API to many language models"),
    exact(
        "Perplexity",
        &["Perplexity API"],
        Llm,
        "Search-grounded answers",
    ),
    s(
        "Hugging Face",
        &["huggingface"],
        Llm,
        "Hosted models and inference",
    ),
    exact("Replicate", &[], Llm, "Hosted model inference"),
    s("Ollama", &[], Llm, "Local language model runtime"),
    s("Azure OpenAI", &[], Llm, "Language models on Azure"),
    s(
        "AWS Bedrock",
        &["amazon bedrock"],
        Llm,
        "Language models on AWS",
    ),
    s(
        "Stability AI",
        &["stable diffusion"],
        Llm,
        "Image generation",
    ),
    s("Midjourney", &[], Llm, "Image generation"),
    s("LangChain", &[], Llm, "Language model orchestration"),
    // Speech
    s("ElevenLabs", &["eleven labs"], Speech, "Text to speech"),
    s("Deepgram", &[], Speech, "Speech to text"),
    s("AssemblyAI", &[], Speech, "Speech to text"),
    exact("Whisper", &["OpenAI Whisper"], Speech, "Speech to text"),
    s(
        "Google Speech-to-Text",
        &["google stt"],
        Speech,
        "Speech to text",
    ),
    s("Amazon Polly", &[], Speech, "Text to speech"),
    s("PlayHT", &["play.ht"], Speech, "Text to speech"),
    // Identity
    s("Auth0", &[], Identity, "Sign-in and user management"),
    exact("Clerk", &[], Identity, "Sign-in and user management"),
    s("Okta", &[], Identity, "Enterprise single sign-on"),
    s(
        "Amazon Cognito",
        &["cognito"],
        Identity,
        "Sign-in and user management",
    ),
    s(
        "Keycloak",
        &[],
        Identity,
        "Self-hosted identity and single sign-on",
    ),
    s("WorkOS", &[], Identity, "Enterprise single sign-on"),
    s(
        "Google Sign-In",
        &["sign in with google", "google oauth", "google login"],
        Identity,
        "Sign-in with a Google account",
    ),
    s(
        "Sign in with Apple",
        &["apple sign-in", "apple login"],
        Identity,
        "Sign-in with an Apple ID",
    ),
    s(
        "GitHub OAuth",
        &["github login", "sign in with github"],
        Identity,
        "Sign-in with a GitHub account",
    ),
    s(
        "NextAuth",
        &["auth.js", "next-auth"],
        Identity,
        "Sign-in for Next.js apps",
    ),
    // Backends and databases
    s(
        "Supabase",
        &[],
        Backend,
        "Postgres database, auth, storage and realtime",
    ),
    s("Firebase", &[], Backend, "Database, auth, hosting and push"),
    s("Appwrite", &[], Backend, "Database, auth and storage"),
    s(
        "PocketBase",
        &[],
        Backend,
        "Embedded database, auth and files",
    ),
    exact("Convex", &[], Backend, "Reactive database and functions"),
    exact("Neon", &["neon.tech"], Database, "Serverless Postgres"),
    s("PlanetScale", &[], Database, "Serverless MySQL"),
    s("MongoDB Atlas", &[], Database, "Managed MongoDB"),
    s("Upstash", &[], Database, "Serverless Redis and queues"),
    s("Airtable", &[], Database, "Spreadsheet database"),
    s("Turso", &[], Database, "Hosted SQLite"),
    s("Pinecone", &[], VectorDb, "Vector search for embeddings"),
    s("Weaviate", &[], VectorDb, "Vector search for embeddings"),
    s("Qdrant", &[], VectorDb, "Vector search for embeddings"),
    exact(
        "Chroma",
        &["ChromaDB"],
        VectorDb,
        "Vector search for embeddings",
    ),
    s("Milvus", &[], VectorDb, "Vector search for embeddings"),
    // Storage
    s("Amazon S3", &["aws s3"], Storage, "Object storage"),
    s("Cloudflare R2", &[], Storage, "Object storage"),
    s("Google Cloud Storage", &[], Storage, "Object storage"),
    s(
        "Cloudinary",
        &[],
        Storage,
        "Image and video storage and transforms",
    ),
    s("UploadThing", &[], Storage, "File uploads"),
    s("Dropbox", &[], Storage, "File sync and sharing"),
    s(
        "Google Drive",
        &[],
        Storage,
        "Files in the user's Google Drive",
    ),
    s("OneDrive", &[], Storage, "Files in the user's OneDrive"),
    exact("Box", &[], Storage, "Enterprise file storage"),
    // Maps
    s(
        "Google Maps",
        &["google places", "places api"],
        Maps,
        "Maps, geocoding and places",
    ),
    s("Mapbox", &[], Maps, "Maps and geocoding"),
    s("OpenStreetMap", &["osm"], Maps, "Open map data"),
    exact("HERE", &[], Maps, "Maps and routing"),
    // Analytics and monitoring
    s("Google Analytics", &["ga4"], Analytics, "Web analytics"),
    s("Mixpanel", &[], Analytics, "Product analytics"),
    s("Amplitude", &[], Analytics, "Product analytics"),
    s(
        "PostHog",
        &[],
        Analytics,
        "Product analytics and feature flags",
    ),
    exact("Segment", &[], Analytics, "Event routing"),
    exact(
        "Plausible",
        &[],
        Analytics,
        "Privacy-friendly web analytics",
    ),
    s("Hotjar", &[], Analytics, "Session recordings and heatmaps"),
    s("Sentry", &[], Monitoring, "Error tracking"),
    s("Datadog", &[], Monitoring, "Metrics, logs and traces"),
    s("New Relic", &[], Monitoring, "Application monitoring"),
    s("Grafana", &[], Monitoring, "Dashboards"),
    s("PagerDuty", &[], Monitoring, "On-call alerts"),
    s("LaunchDarkly", &[], Monitoring, "Feature flags"),
    s("LangSmith", &[], Monitoring, "Language model tracing"),
    // CRM and sales
    s("Salesforce", &[], Crm, "CRM records"),
    s("HubSpot", &[], Crm, "CRM and marketing"),
    s("Pipedrive", &[], Crm, "Sales pipeline"),
    s("Zoho CRM", &["zoho"], Crm, "CRM records"),
    s("Calendly", &[], Calendar, "Meeting scheduling"),
    s("Cal.com", &[], Calendar, "Meeting scheduling"),
    s("Google Calendar", &[], Calendar, "Calendar events"),
    s(
        "Microsoft Outlook",
        &["microsoft graph", "outlook calendar"],
        Calendar,
        "Calendar and mail on Microsoft 365",
    ),
    s(
        "Apple Calendar",
        &["icloud calendar", "caldav"],
        Calendar,
        "Calendar events",
    ),
    // Video
    exact("Zoom", &[], Video, "Video meetings"),
    s("Google Meet", &[], Video, "Video meetings"),
    exact("Daily.co", &[], Video, "Video calls in the app"),
    exact("Mux", &[], Video, "Video hosting and streaming"),
    s("Vimeo", &[], Video, "Video hosting"),
    s(
        "YouTube",
        &["youtube data api"],
        Video,
        "Video hosting and data",
    ),
    exact("Agora", &[], Video, "Real-time voice and video"),
    s("LiveKit", &[], Video, "Real-time voice and video"),
    // Search
    s("Algolia", &[], Search, "Hosted search"),
    s("Elasticsearch", &[], Search, "Full-text search"),
    s("Meilisearch", &[], Search, "Hosted search"),
    s("Typesense", &[], Search, "Hosted search"),
    s("SerpAPI", &[], Search, "Search engine results"),
    // Source hosting and tracking
    s(
        "GitHub",
        &["github api"],
        SourceHosting,
        "Repositories, issues and pull requests",
    ),
    s(
        "GitLab",
        &[],
        SourceHosting,
        "Repositories, issues and merge requests",
    ),
    s(
        "Bitbucket",
        &[],
        SourceHosting,
        "Repositories and pull requests",
    ),
    s("Jira", &[], Tracking, "Issue tracking"),
    exact("Linear", &[], Tracking, "Issue tracking"),
    s("Asana", &[], Tracking, "Task tracking"),
    s("Trello", &[], Tracking, "Boards and cards"),
    s("ClickUp", &[], Tracking, "Task tracking"),
    s("Monday.com", &[], Tracking, "Work management"),
    exact(
        "Notion",
        &["notion api"],
        Productivity,
        "Pages and databases in Notion",
    ),
    s("Confluence", &[], Productivity, "Team documentation"),
    s("Google Sheets", &[], Productivity, "Spreadsheets"),
    s("Google Docs", &[], Productivity, "Documents"),
    s(
        "Microsoft 365",
        &["office 365", "sharepoint"],
        Productivity,
        "Documents and files on Microsoft 365",
    ),
    s("Figma", &[], Productivity, "Design files"),
    s("DocuSign", &[], Productivity, "Electronic signatures"),
    s("Zapier", &[], Jobs, "No-code automations"),
    s("Make.com", &["integromat"], Jobs, "No-code automations"),
    s("n8n", &[], Jobs, "Workflow automations"),
    s("Inngest", &[], Jobs, "Event-driven background functions"),
    s("Trigger.dev", &[], Jobs, "Background jobs"),
    exact("Temporal", &[], Jobs, "Durable workflows"),
    s("QStash", &[], Jobs, "HTTP message queue"),
    // Commerce, accounting, shipping
    s("Shopify", &[], Commerce, "Store, products and orders"),
    s("WooCommerce", &[], Commerce, "Store, products and orders"),
    s("BigCommerce", &[], Commerce, "Store, products and orders"),
    s(
        "Amazon Seller",
        &["amazon sp-api", "selling partner api"],
        Commerce,
        "Marketplace listings and orders",
    ),
    s("eBay", &[], Commerce, "Marketplace listings"),
    s("Etsy", &[], Commerce, "Marketplace listings"),
    s("QuickBooks", &[], Accounting, "Accounting and invoices"),
    s("Xero", &[], Accounting, "Accounting and invoices"),
    s("FreshBooks", &[], Accounting, "Invoices"),
    s("Shippo", &[], Shipping, "Shipping labels and rates"),
    s("EasyPost", &[], Shipping, "Shipping labels and tracking"),
    s("ShipStation", &[], Shipping, "Shipping labels"),
    s("InPost", &[], Shipping, "Parcel lockers and shipping"),
    // Social
    s(
        "X (Twitter)",
        &["twitter", "twitter api", "x api"],
        Social,
        "Posts and profiles on X",
    ),
    s("LinkedIn", &[], Social, "Profiles and posts on LinkedIn"),
    s(
        "Instagram",
        &["instagram graph api"],
        Social,
        "Posts and messages on Instagram",
    ),
    s(
        "Facebook",
        &["facebook graph api", "meta graph api"],
        Social,
        "Pages and posts on Facebook",
    ),
    s("TikTok", &[], Social, "Videos on TikTok"),
    s(
        "Reddit",
        &["reddit api"],
        Social,
        "Posts and comments on Reddit",
    ),
    s(
        "Spotify",
        &["spotify api"],
        Social,
        "Music catalogue and playback",
    ),
    s("Strava", &[], Social, "Activities"),
    // Push
    s(
        "Firebase Cloud Messaging",
        &["fcm"],
        Push,
        "Push notifications",
    ),
    s(
        "Apple Push Notification service",
        &["apns"],
        Push,
        "Push notifications on Apple devices",
    ),
    s("OneSignal", &[], Push, "Push notifications"),
    s(
        "Expo Push",
        &["expo notifications"],
        Push,
        "Push notifications for Expo apps",
    ),
    s("Pusher", &[], Push, "Realtime channels"),
    s("Ably", &[], Push, "Realtime channels"),
    // Hosting
    s(
        "Vercel",
        &[],
        Hosting,
        "Web hosting and serverless functions",
    ),
    s("Netlify", &[], Hosting, "Web hosting"),
    s(
        "Cloudflare",
        &["cloudflare workers"],
        Hosting,
        "CDN, edge functions and DNS",
    ),
    s("Heroku", &[], Hosting, "App hosting"),
    s("Render.com", &[], Hosting, "App hosting"),
    s("Fly.io", &[], Hosting, "App hosting"),
    exact("Railway", &[], Hosting, "App hosting"),
    // Data providers and verification
    s("OpenWeather", &["openweathermap"], Data, "Weather data"),
    s("Alpha Vantage", &[], Data, "Market data"),
    s("Polygon.io", &[], Data, "Market data"),
    s("CoinGecko", &[], Data, "Crypto prices"),
    s(
        "Google Vision",
        &["cloud vision"],
        Data,
        "Image recognition and OCR",
    ),
    s(
        "AWS Textract",
        &["textract"],
        Data,
        "Document text extraction",
    ),
    s("Onfido", &[], Verification, "Identity document checks"),
    s("Veriff", &[], Verification, "Identity verification"),
    s("reCAPTCHA", &["recaptcha"], Verification, "Bot protection"),
    s("hCaptcha", &[], Verification, "Bot protection"),
    s(
        "Cloudflare Turnstile",
        &["turnstile"],
        Verification,
        "Bot protection",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_large_and_unambiguous() {
        assert!(SERVICES.len() >= 150, "{}", SERVICES.len());
        let mut names = std::collections::HashSet::new();
        for service in SERVICES {
            assert!(names.insert(service.name), "{} twice", service.name);
            assert!(!service.purpose.is_empty());
        }
    }
}
