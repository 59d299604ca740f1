//! Name lists for the simulated tenant ([`super::generator`]): people, device models, awkward device
//! names. Each person's name comes as (display form, ASCII form for the UPN).

/// Given names: (display, ASCII for the UPN). Accents and hyphens on purpose.
pub const FIRST_NAMES: &[(&str, &str)] = &[
    ("James", "james"),
    ("Mary", "mary"),
    ("John", "john"),
    ("Patricia", "patricia"),
    ("Robert", "robert"),
    ("Jennifer", "jennifer"),
    ("Michael", "michael"),
    ("Linda", "linda"),
    ("David", "david"),
    ("Elizabeth", "elizabeth"),
    ("William", "william"),
    ("Susan", "susan"),
    ("Richard", "richard"),
    ("Jessica", "jessica"),
    ("Joseph", "joseph"),
    ("Sarah", "sarah"),
    ("Thomas", "thomas"),
    ("Karen", "karen"),
    ("Daniel", "daniel"),
    ("Emily", "emily"),
    ("María", "maria"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Björn", "bjorn"),
    ("Łukasz", "lukasz"),
    ("Siobhán", "siobhan"),
    ("Chloé", "chloe"),
    ("François", "francois"),
    ("Søren", "soren"),
    ("Ana", "ana"),
    ("Wei", "wei"),
    ("Yuki", "yuki"),
    ("Aarav", "aarav"),
    ("Fatima", "fatima"),
    ("Olumide", "olumide"),
    ("Mateus", "mateus"),
    ("Inês", "ines"),
    ("Jürgen", "juergen"),
    ("Noémie", "noemie"),
    ("Ingrid", "ingrid"),
    ("Priya", "priya"),
    ("Omar", "omar"),
    ("Leilani", "leilani"),
    ("Kai", "kai"),
    ("Anne-Marie", "anne-marie"),
    ("Jean-Luc", "jean-luc"),
    ("Ngozi", "ngozi"),
    ("Camille", "camille"),
];

/// Family names: (display, ASCII for the UPN). Apostrophes, particles and diacritics on purpose.
pub const LAST_NAMES: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("García", "garcia"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Rodríguez", "rodriguez"),
    ("Martínez", "martinez"),
    ("Müller", "mueller"),
    ("Schmidt", "schmidt"),
    ("O'Brien", "obrien"),
    ("O'Connor", "oconnor"),
    ("Nguyễn", "nguyen"),
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("van der Berg", "vanderberg"),
    ("de la Cruz", "delacruz"),
    ("Kowalski", "kowalski"),
    ("Nowak", "nowak"),
    ("Søndergaard", "sondergaard"),
    ("Åberg", "aberg"),
    ("Öztürk", "ozturk"),
    ("Yılmaz", "yilmaz"),
    ("Tanaka", "tanaka"),
    ("Sato", "sato"),
    ("Kim", "kim"),
    ("Patel", "patel"),
    ("Singh", "singh"),
    ("Okafor", "okafor"),
    ("Silva", "silva"),
    ("Santos", "santos"),
    ("Rossi", "rossi"),
    ("Bianchi", "bianchi"),
    ("Dvořák", "dvorak"),
    ("Papadopoulos", "papadopoulos"),
    ("Johansson", "johansson"),
    ("Virtanen", "virtanen"),
    ("Murphy", "murphy"),
    ("Kelly", "kelly"),
    ("Taylor", "taylor"),
    ("Wilson", "wilson"),
    ("Anderson", "anderson"),
    ("Moore", "moore"),
    ("Martin", "martin"),
];

/// Nicknames for display names written `First "Nick" Last`.
pub const NICKNAMES: &[&str] = &["Bud", "Sunny", "Doc", "Ace", "Mo", "Jo"];

/// Android phone and rugged-device models (device names of some Android devices).
pub const ANDROID_MODELS: &[&str] =
    &["Galaxy S24", "Galaxy A54 5G", "Pixel 8", "Pixel 7a", "SM-G991B", "moto g84 5G", "TC52", "CT40", "HMT-1"];

/// Device names that break naive CSV, spreadsheets, terminals and HTML. The catalogue of the generator
/// gives each one to a device; random devices pick from it now and then.
pub const AWKWARD_DEVICE_NAMES: &[&str] = &[
    "Sales, EMEA",
    "\"CEO\" iPad",
    "iPad (Room 4.01; \"Board\")",
    "=HYPERLINK(\"http://example.invalid\",\"click me\")",
    "=1+1",
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(A1:A9)",
    "Téléphone de Zoë",
    "Handy von Jürgen Müller",
    "📱 Work phone 🚀",
    "会议室 iPad",
    "tab\tseparated",
    "line one\nline two",
    "  padded name  ",
    "",
    "O'Brien’s iPhone",
    "<script>alert(1)</script>",
    "C:\\Users\\kiosk",
    "NULL",
    "<img src=x onerror=alert(1)>",
];

/// A device name far longer than any column: 300+ characters, some of them multi-byte.
pub const LONG_DEVICE_NAME: &str = "Shared tablet of the logistics team — warehouse four, loading bay \
     north, second shift (ask Zoë or Łukasz before moving it); replaced the broken one from last winter, \
     serial number written on the back, charger in the drawer under the printer, do not take home, do \
     not install games, do not change the Wi-Fi, do not rename this device please, thank you — IT";
