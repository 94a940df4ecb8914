//! The demo's fixed material: managers, segments, products and their
//! portrait, the parts client and person names are made of, and the texts
//! of contacts and complaints.

use crate::domain::Role;

pub(super) const MANAGERS: [(&str, &str, Role); 5] = [
    ("amartin", "Amélie Martin", Role::Manager),
    ("jschmidt", "Jürgen Schmidt", Role::Manager),
    ("ocarter", "Olivia Carter", Role::Manager),
    ("fdubois", "François Dubois", Role::Manager),
    ("hweber", "Hanna Weber", Role::Lead),
];

pub(super) const SEGMENTS: [(&str, &str, &str); 6] = [
    ("retail", "Retail chains", "Shops and chains with several outlets"),
    (
        "manufacturing",
        "Manufacturing SMEs",
        "Small and mid-sized manufacturers",
    ),
    ("public", "Public sector", "Municipalities, schools, agencies"),
    ("logistics", "Logistics & transport", "Carriers, warehouses, forwarders"),
    ("health", "Healthcare", "Clinics, practices, pharmacies"),
    (
        "services",
        "Professional services",
        "Consultancies, law and accounting firms",
    ),
];

pub(super) const PRODUCTS: [(&str, &str, &str); 10] = [
    ("crm-basic", "CRM Basic", "software"),
    ("crm-pro", "CRM Pro", "software"),
    ("analytics", "Analytics Suite", "software"),
    ("support-std", "Support Standard", "support"),
    ("support-premium", "Support Premium", "support"),
    ("onboarding", "Onboarding Training", "training"),
    ("workshop", "Advanced Workshop", "training"),
    ("terminal", "Terminal Kit", "hardware"),
    ("scanner", "Scanner Pack", "hardware"),
    ("printer", "Label Printer", "hardware"),
];

/// Target products (indexes into PRODUCTS) per segment.
pub(super) const PORTRAIT: [&[usize]; 6] = [
    &[0, 3, 7, 8, 9],
    &[1, 2, 4, 6],
    &[0, 3, 5],
    &[1, 4, 7, 8],
    &[0, 3, 5, 9],
    &[1, 2, 4, 5, 6],
];

/// The first clients have fixed names (tests and screenshots rely on them).
pub(super) const FIXED_NAMES: [&str; 12] = [
    "Société Générale Équipements",
    "Müller & Söhne",
    "Brasserie du Théâtre",
    "Zürcher Feinmechanik AG",
    "Hôpital Saint-Éloi",
    "Bäckerei Schäfer",
    "Whitfield & Harrow Ltd",
    "Crème de la Crème Traiteur",
    "Größenwahn Logistik GmbH",
    "Château Lafôret Vins",
    "Northgate Consulting LLP",
    "Pâtisserie Noël",
];

pub(super) const NAME_HEADS: [&str; 24] = [
    "Atelier",
    "Boulangerie",
    "Café",
    "Garage",
    "Pharmacie",
    "Cabinet",
    "Hôtel",
    "Librairie",
    "Schreinerei",
    "Apotheke",
    "Autohaus",
    "Druckerei",
    "Brauerei",
    "Spedition",
    "Praxis",
    "Harbour",
    "Riverside",
    "Oakwood",
    "Kingsbridge",
    "Bright",
    "Ironside",
    "Meadow",
    "Summit",
    "Crown",
];
pub(super) const NAME_TAILS: [&str; 24] = [
    "Lefèvre",
    "Moreau",
    "Girard",
    "Rousseau",
    "Bérénice",
    "Deschênes",
    "Fontaine",
    "Mercier",
    "Becker",
    "Schröder",
    "Köhler",
    "Weiß",
    "Hoffmann",
    "Krämer",
    "Vogel",
    "Brandt",
    "Foods",
    "Logistics",
    "Supplies",
    "Medical",
    "Systems",
    "Partners",
    "Works",
    "Trading",
];
pub(super) const LEGAL: [&str; 8] = ["SA", "SARL", "SAS", "GmbH", "KG", "Ltd", "LLP", "& Co"];
pub(super) const FIRST: [&str; 20] = [
    "Amélie",
    "Chloé",
    "François",
    "Émile",
    "Zoë",
    "Hélène",
    "Jérôme",
    "Gaëlle",
    "Jürgen",
    "Käthe",
    "Björn",
    "Günther",
    "Jörg",
    "Mia",
    "Oliver",
    "Emma",
    "Harry",
    "Grace",
    "Noah",
    "Sophie",
];
pub(super) const LAST: [&str; 20] = [
    "Dupont",
    "Lefèvre",
    "Gauthier",
    "Bérard",
    "Faure",
    "Leclerc",
    "Nöel",
    "Schröder",
    "Weiß",
    "Müller",
    "Köhler",
    "Fischer",
    "Wagner",
    "Smith",
    "Brontë",
    "Taylor",
    "O'Neill",
    "Hughes",
    "Clarke",
    "Evans",
];
pub(super) const ROLES: [&str; 6] = [
    "CEO",
    "Purchasing",
    "IT lead",
    "Office manager",
    "Finance",
    "Operations",
];
pub(super) const SUMMARIES: [&str; 8] = [
    "Discussed the renewal terms",
    "Asked about delivery times",
    "Presented the new version",
    "Follow-up on the last invoice",
    "Checked satisfaction after delivery",
    "Talked about next year's budget",
    "Introduced the training offer",
    "Clarified a billing question",
];
pub(super) const OUTCOMES: [&str; 5] = [
    "positive",
    "call back later",
    "needs a proposal",
    "no interest now",
    "waiting for budget",
];
pub(super) const COMPLAINTS: [&str; 5] = [
    "Delivery arrived a week late",
    "Invoice amount did not match the quote",
    "Support did not answer for three days",
    "Terminal kit missing a cable",
    "Training session cancelled at short notice",
];

/// How the demo's clients were acquired (the lead's list).
pub const SOURCES: [&str; 6] = ["Trade fair", "Referral", "Website", "Cold call", "Webinar", "Partner"];

/// The competitors the demo's refusals name (the lead's list).
pub const COMPETITORS: [&str; 4] = ["Concurrent SA", "Rivalis", "Nordsoft", "Acme CRM"];
