//! Generates a believable, seeded hotel: rooms on four floors, guests from many countries,
//! reservations around "now" in states that fit their dates, and housekeeping states.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::model::{
    CategoryRec, CustomerRec, Hotel, ReservationRec, ResourceRec, ServiceRec, SimCustomer,
    SimReservation, SimResource, SimService,
};
use super::MewsSimConfig;
use crate::util::{digits, guid, local_to_utc, rng};

/// The hotel is in Amsterdam: check-in from 15:00, check-out by 12:00 local time (the
/// Accommodation service's offsets say the same).
pub(crate) const HOTEL_TZ: Tz = chrono_tz::Europe::Amsterdam;
const CHECK_IN_HOUR: u32 = 15;
const CHECK_OUT_HOUR: u32 = 12;

struct Nation {
    code: &'static str,
    lang: &'static str,
    weight: u32,
    male: &'static [&'static str],
    female: &'static [&'static str],
    last: &'static [&'static str],
    /// Female surname forms where the language has them (Czech, Polish); else empty.
    last_female: &'static [&'static str],
}

const NATIONS: &[Nation] = &[
    Nation {
        code: "NL",
        lang: "nl-NL",
        weight: 14,
        male: &["Daan", "Sem", "Lucas", "Bram", "Thijs", "Jeroen"],
        female: &["Emma", "Julia", "Sanne", "Fleur", "Lotte", "Anouk"],
        last: &[
            "de Jong",
            "Jansen",
            "de Vries",
            "van den Berg",
            "van Dijk",
            "Bakker",
            "Visser",
            "Smit",
            "Meijer",
            "de Boer",
        ],
        last_female: &[],
    },
    Nation {
        code: "DE",
        lang: "de-DE",
        weight: 14,
        male: &["Lukas", "Jonas", "Maximilian", "Felix", "Jürgen", "Stefan"],
        female: &["Anna", "Lena", "Katharina", "Julia", "Sabine", "Ute"],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schäfer",
            "Hoffmann",
        ],
        last_female: &[],
    },
    Nation {
        code: "GB",
        lang: "en-GB",
        weight: 14,
        male: &["James", "Oliver", "Harry", "George", "William", "Thomas"],
        female: &["Olivia", "Amelia", "Emily", "Charlotte", "Sophie", "Grace"],
        last: &[
            "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thompson", "Walker",
            "O'Brien", "Hughes",
        ],
        last_female: &[],
    },
    Nation {
        code: "US",
        lang: "en-US",
        weight: 12,
        male: &["Michael", "David", "Daniel", "Matthew", "Ethan", "Noah"],
        female: &["Emma", "Ava", "Madison", "Abigail", "Hannah", "Chloe"],
        last: &[
            "Johnson",
            "Williams",
            "Miller",
            "Davis",
            "Garcia",
            "Rodriguez",
            "Martinez",
            "Anderson",
            "Lee",
            "Clark",
        ],
        last_female: &[],
    },
    Nation {
        code: "FR",
        lang: "fr-FR",
        weight: 8,
        male: &["Louis", "Gabriel", "Hugo", "Étienne", "Jules", "Antoine"],
        female: &["Chloé", "Léa", "Manon", "Camille", "Inès", "Élodie"],
        last: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Lefèvre", "Moreau",
        ],
        last_female: &[],
    },
    Nation {
        code: "IT",
        lang: "it-IT",
        weight: 6,
        male: &[
            "Lorenzo",
            "Alessandro",
            "Matteo",
            "Giuseppe",
            "Francesco",
            "Luca",
        ],
        female: &[
            "Giulia",
            "Chiara",
            "Francesca",
            "Sofia",
            "Aurora",
            "Martina",
        ],
        last: &[
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "De Luca",
        ],
        last_female: &[],
    },
    Nation {
        code: "ES",
        lang: "es-ES",
        weight: 6,
        male: &["Alejandro", "Pablo", "Javier", "José", "Álvaro", "Hugo"],
        female: &["Lucía", "María", "Paula", "Carmen", "Sofía", "Martina"],
        last: &[
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Muñoz",
        ],
        last_female: &[],
    },
    Nation {
        code: "CZ",
        lang: "cs-CZ",
        weight: 3,
        male: &["Jakub", "Jan", "Tomáš", "Matěj", "Vojtěch", "Petr"],
        female: &["Tereza", "Eliška", "Anna", "Kateřina", "Lucie", "Veronika"],
        last: &["Dvořák", "Novák", "Svoboda", "Černý", "Procházka", "Kučera"],
        last_female: &[
            "Dvořáková",
            "Nováková",
            "Svobodová",
            "Černá",
            "Procházková",
            "Kučerová",
        ],
    },
    Nation {
        code: "SE",
        lang: "sv-SE",
        weight: 3,
        male: &["Erik", "Lars", "Oscar", "Axel", "Nils", "Johan"],
        female: &["Astrid", "Ingrid", "Elsa", "Maja", "Linnea", "Sara"],
        last: &[
            "Andersson",
            "Johansson",
            "Karlsson",
            "Nilsson",
            "Eriksson",
            "Larsson",
            "Lindqvist",
            "Björk",
        ],
        last_female: &[],
    },
    Nation {
        code: "JP",
        lang: "ja-JP",
        weight: 4,
        male: &["Haruto", "Ren", "Takumi", "Kenji", "Hiroshi", "Yuto"],
        female: &["Yui", "Sakura", "Aoi", "Hina", "Yuki", "Mei"],
        last: &[
            "Sato",
            "Suzuki",
            "Takahashi",
            "Tanaka",
            "Watanabe",
            "Ito",
            "Yamamoto",
            "Nakamura",
        ],
        last_female: &[],
    },
    Nation {
        code: "CN",
        lang: "zh-CN",
        weight: 4,
        male: &["Wei", "Hao", "Jun", "Lei", "Yang", "Chen"],
        female: &["Li", "Mei", "Xin", "Ying", "Jing", "Fang"],
        last: &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao",
        ],
        last_female: &[],
    },
    Nation {
        code: "BR",
        lang: "pt-BR",
        weight: 3,
        male: &["João", "Pedro", "Lucas", "Gustavo", "Rafael", "Thiago"],
        female: &["Ana", "Beatriz", "Larissa", "Camila", "Júlia", "Fernanda"],
        last: &[
            "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida",
        ],
        last_female: &[],
    },
    Nation {
        code: "IN",
        lang: "en-IN",
        weight: 4,
        male: &["Arjun", "Rohan", "Vikram", "Aditya", "Rahul", "Karan"],
        female: &["Priya", "Ananya", "Diya", "Kavya", "Neha", "Pooja"],
        last: &[
            "Sharma", "Patel", "Singh", "Gupta", "Iyer", "Reddy", "Nair", "Mehta",
        ],
        last_female: &[],
    },
    Nation {
        code: "PL",
        lang: "pl-PL",
        weight: 3,
        male: &["Jakub", "Piotr", "Krzysztof", "Tomasz", "Michał", "Paweł"],
        female: &[
            "Zofia",
            "Agnieszka",
            "Małgorzata",
            "Katarzyna",
            "Anna",
            "Ewa",
        ],
        last: &[
            "Kowalski",
            "Nowak",
            "Wiśniewski",
            "Wójcik",
            "Lewandowski",
            "Zieliński",
        ],
        last_female: &[
            "Kowalska",
            "Nowak",
            "Wiśniewska",
            "Wójcik",
            "Lewandowska",
            "Zielińska",
        ],
    },
];

/// Documentation-reserved domains (RFC 2606/6761): realistic-looking, never someone's inbox.
const MAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "mail.example",
    "inbox.example",
];

pub(crate) const GUEST_NOTES: &[&str] = &[
    "Allergic to peanuts",
    "Prefers a high floor",
    "Late arrival, usually after 22:00",
    "Celebrating a wedding anniversary",
    "Needs a baby cot",
    "Quiet room away from the lift, please",
    "Gluten-free breakfast",
    "Travels with a small dog",
];

fn pick<'a>(r: &mut fastrand::Rng, xs: &'a [&'a str]) -> &'a str {
    xs.get(r.usize(..xs.len().max(1))).copied().unwrap_or("")
}

/// Lower-case ASCII for e-mail local parts ("Lefèvre" → "lefevre", "O'Brien" → "obrien").
fn ascii_fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ě' | 'ę' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => "o",
            'ú' | 'ù' | 'û' | 'ü' | 'ů' => "u",
            'ý' => "y",
            'ç' | 'č' => "c",
            'ñ' | 'ń' => "n",
            'ř' => "r",
            'š' | 'ś' => "s",
            'ž' | 'ź' | 'ż' => "z",
            'ł' => "l",
            'ß' => "ss",
            'ď' => "d",
            'ť' => "t",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

pub(crate) fn email_for(r: &mut fastrand::Rng, first: Option<&str>, last: &str) -> String {
    let last = ascii_fold(last);
    let local = match first.map(ascii_fold) {
        Some(f) if !f.is_empty() => match r.u8(..3) {
            0 => format!("{f}.{last}"),
            1 => format!("{}{last}", &f[..1]),
            _ => format!("{f}.{last}{}", r.u16(1..100)),
        },
        _ => last,
    };
    format!("{local}@{}", pick(r, MAIL_DOMAINS))
}

/// A phone number in the country's international format; GB and US numbers come from the
/// ranges reserved for fiction.
pub(crate) fn phone_for(r: &mut fastrand::Rng, nation: &str) -> String {
    match nation {
        "GB" => format!("+44 7700 900{}", digits(r, 3)),
        "US" => format!("+1 202-555-01{}", digits(r, 2)),
        "NL" => format!("+31 6 {} {}", digits(r, 4), digits(r, 4)),
        "DE" => format!("+49 151 {} {}", digits(r, 4), digits(r, 4)),
        "FR" => format!(
            "+33 6 {} {} {} {}",
            digits(r, 2),
            digits(r, 2),
            digits(r, 2),
            digits(r, 2)
        ),
        "IT" => format!("+39 347 {} {}", digits(r, 3), digits(r, 4)),
        "ES" => format!("+34 612 {} {}", digits(r, 3), digits(r, 3)),
        "CZ" => format!("+420 602 {} {}", digits(r, 3), digits(r, 3)),
        "SE" => format!("+46 70 {} {} {}", digits(r, 3), digits(r, 2), digits(r, 2)),
        "JP" => format!("+81 90 {} {}", digits(r, 4), digits(r, 4)),
        "CN" => format!("+86 139 {} {}", digits(r, 4), digits(r, 4)),
        "BR" => format!("+55 11 9{} {}", digits(r, 4), digits(r, 4)),
        "IN" => format!("+91 98{} {}", digits(r, 3), digits(r, 5)),
        "PL" => format!("+48 601 {} {}", digits(r, 3), digits(r, 3)),
        _ => format!("+31 20 {} {}", digits(r, 3), digits(r, 4)),
    }
}

fn pick_nation(r: &mut fastrand::Rng) -> &'static Nation {
    let total: u32 = NATIONS.iter().map(|n| n.weight).sum();
    let mut roll = r.u32(..total.max(1));
    for n in NATIONS {
        if roll < n.weight {
            return n;
        }
        roll -= n.weight;
    }
    &NATIONS[0]
}

/// A new guest profile created at `created`.
pub(crate) fn make_customer(
    r: &mut fastrand::Rng,
    number: u64,
    created: DateTime<Utc>,
    profile: &str,
) -> CustomerRec {
    let nation = pick_nation(r);
    let female = r.bool();
    let first = if female {
        pick(r, nation.female)
    } else {
        pick(r, nation.male)
    };
    let last = if female && !nation.last_female.is_empty() {
        let i = r.usize(..nation.last_female.len());
        nation.last_female[i]
    } else {
        pick(r, nation.last)
    };
    // A few profiles come without a first name (hand-typed walk-ins, OTA imports).
    let first_name = (r.u8(..100) >= 2).then(|| first.to_string());
    let ota = r.u8(..100) < 8;
    let email = match r.u8(..100) {
        0..=6 => None,
        _ if ota => Some(format!(
            "{}.{}@guest.booking.example",
            ascii_fold(last),
            digits(r, 6)
        )),
        _ => Some(email_for(r, first_name.as_deref(), last)),
    };
    let phone = (r.u8(..100) >= 12).then(|| phone_for(r, nation.code));
    let notes = (r.u8(..100) < 12).then(|| pick(r, GUEST_NOTES).to_string());
    let title = match (r.u8(..100), female) {
        (0..=19, _) => None,
        (_, false) => Some("Mister"),
        (20..=59, true) => Some("Misses"),
        (_, true) => Some("Miss"),
    };
    let birth_date = (r.u8(..100) < 70).then(|| {
        format!(
            "{}-{:02}-{:02}",
            r.i32(1950..2005),
            r.u32(1..13),
            r.u32(1..29)
        )
    });
    CustomerRec {
        sim: SimCustomer {
            id: guid(r),
            first_name,
            last_name: last.to_string(),
            email,
            phone,
            classifications: Vec::new(),
            notes,
            updated_utc: created,
            created_utc: created,
            nationality_code: Some(nation.code.to_string()),
        },
        number: number.to_string(),
        title,
        sex: Some(if female { "Female" } else { "Male" }),
        language_code: Some(nation.lang),
        birth_date,
        loyalty_code: (r.u8(..100) < 15).then(|| format!("LL{}", digits(r, 6))),
        options: if r.u8(..100) < 40 {
            vec!["SendMarketingEmails"]
        } else {
            Vec::new()
        },
        has_ota_email: ota,
        creator_profile_id: profile.to_string(),
        updater_profile_id: profile.to_string(),
    }
}

pub(crate) fn local_time(tz: Tz, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN);
    local_to_utc(tz, day.and_time(time))
}

pub(crate) fn arrival(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    local_time(tz, day, CHECK_IN_HOUR)
}

pub(crate) fn departure(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    local_time(tz, day, CHECK_OUT_HOUR)
}

fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp();
    DateTime::from_timestamp(s - s.rem_euclid(3600), 0).unwrap_or(t)
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// Nights of a stay: mostly short city breaks, now and then a long stay.
pub(crate) fn pick_nights(r: &mut fastrand::Rng) -> i64 {
    match r.u8(..100) {
        0..=19 => 1,
        20..=44 => 2,
        45..=64 => 3,
        65..=76 => 4,
        77..=84 => 5,
        85..=94 => r.i64(6..8),
        _ => r.i64(8..15),
    }
}

pub(crate) fn pick_persons(r: &mut fastrand::Rng, max: u32) -> (u32, u32) {
    let persons = match r.u8(..100) {
        0..=24 => 1,
        25..=74 => 2,
        75..=89 => 3,
        _ => 4,
    }
    .min(max.max(1));
    let children = if persons >= 3 {
        r.u32(0..persons - 1)
    } else {
        0
    };
    (persons - children, children)
}

pub(crate) fn pick_origin(
    r: &mut fastrand::Rng,
) -> (&'static str, Option<&'static str>, Option<String>) {
    match r.u8(..100) {
        0..=44 => ("ChannelManager", None, Some(digits(r, 10))),
        45..=69 => ("Distributor", None, None),
        70..=94 => {
            let how = ["Phone", "Email", "InPerson", "Website"][r.usize(..4)];
            ("Commander", Some(how), None)
        }
        _ => ("Connector", None, None),
    }
}

const CANCEL_REASONS: &[&str] = &[
    "RequestedByGuest",
    "BookedElsewhere",
    "PriceTooHigh",
    "Other",
    "ConfirmationMissed",
];

pub(crate) fn pick_cancel_reason(r: &mut fastrand::Rng) -> &'static str {
    CANCEL_REASONS[r.usize(..CANCEL_REASONS.len())]
}

fn service(
    r: &mut fastrand::Rng,
    anchor: DateTime<Utc>,
    name: &str,
    kind: &str,
    ordering: u32,
    external: &str,
) -> ServiceRec {
    ServiceRec {
        sim: SimService {
            id: guid(r),
            name: name.to_string(),
            kind: kind.to_string(),
        },
        created_utc: anchor - TimeDelta::days(900 - i64::from(ordering) * 7),
        updated_utc: anchor - TimeDelta::days(40 + r.i64(0..200)),
        ordering,
        external_identifier: external.to_string(),
        bill_as_package: kind == "Bookable",
    }
}

/// Builds the hotel as it stands at `now` (reservation states are decided relative to `now`
/// rounded down to the hour, so every generated timestamp lies in the past).
pub(crate) fn generate(cfg: &MewsSimConfig, now: DateTime<Utc>) -> Hotel {
    let tz = HOTEL_TZ;
    let anchor = floor_hour(now);
    let mut r = rng(&[cfg.seed, 0x4D45_5753]);
    let enterprise_id = guid(&mut r);
    let chain_id = guid(&mut r);
    let profiles: Vec<String> = (0..4).map(|_| guid(&mut r)).collect();
    let connector_profile_id = guid(&mut r);
    let adult_category_id = guid(&mut r);
    let child_category_id = guid(&mut r);
    let rates = [
        "Best Available Rate",
        "Non-Refundable",
        "Bed & Breakfast",
        "Corporate",
    ]
    .into_iter()
    .map(|n| (guid(&mut r), n))
    .collect::<Vec<_>>();
    let business_segments = (0..3).map(|_| guid(&mut r)).collect::<Vec<_>>();
    let services = vec![
        service(
            &mut r,
            anchor,
            "Accommodation",
            "Bookable",
            0,
            "SVC-ACCOMMODATION",
        ),
        service(
            &mut r,
            anchor,
            "Breakfast",
            "Additional",
            1,
            "SVC-BREAKFAST",
        ),
        service(
            &mut r,
            anchor,
            "Minibar & Extras",
            "Additional",
            2,
            "SVC-MINIBAR",
        ),
        service(
            &mut r,
            anchor,
            "Restaurant & Bar",
            "Additional",
            3,
            "SVC-FNB",
        ),
    ];
    let categories: Vec<CategoryRec> = [
        ("Standard Double", "STD", 2, 1),
        ("Superior Twin", "SUP", 2, 1),
        ("Deluxe King", "DLX", 3, 1),
        ("Junior Suite", "JS", 4, 2),
    ]
    .into_iter()
    .map(|(name, short_name, capacity, extra_capacity)| CategoryRec {
        id: guid(&mut r),
        name,
        short_name,
        capacity,
        extra_capacity,
    })
    .collect();

    // Rooms: floors 1–4, "101".. numbered along each floor; two suites at the end of the top
    // floor.
    let rooms = cfg.rooms.max(1);
    let per_floor = rooms.div_ceil(4).max(1);
    let sides = [
        "courtyard side",
        "canal view",
        "near the lift",
        "end of the corridor",
    ];
    let resources: Vec<ResourceRec> = (0..rooms)
        .map(|i| {
            let floor = i / per_floor + 1;
            let pos = i % per_floor + 1;
            let top_floor_rooms = rooms.saturating_sub(3 * per_floor);
            let suite = floor == 4 && pos + 2 > top_floor_rooms;
            let cat = if suite { 3 } else { (pos as usize) % 3 };
            let side = sides[(pos as usize) % sides.len()];
            let category = &categories[cat];
            ResourceRec {
                sim: SimResource {
                    id: guid(&mut r),
                    name: format!("{}", floor * 100 + pos),
                    state: "Clean".to_string(),
                    floor: Some(floor.to_string()),
                    updated_utc: anchor,
                    created_utc: anchor - TimeDelta::days(700),
                    category: category.name.to_string(),
                },
                category_id: category.id.clone(),
                description: format!("{}, {side}", category.name),
                location_notes: format!("Floor {floor}, {side}"),
            }
        })
        .collect();

    let mut hotel = Hotel {
        enterprise_id,
        chain_id,
        currency: cfg.currency.clone(),
        tz,
        services,
        categories,
        resources,
        customers: Vec::new(),
        reservations: Vec::new(),
        orders: Vec::new(),
        order_items: Vec::new(),
        rates,
        adult_category_id,
        child_category_id,
        profiles,
        connector_profile_id,
        business_segments,
        rng: rng(&[cfg.seed, 0xC4_0A11]),
        next_reservation_number: 0,
        next_customer_number: 100_001,
        last_stamp: anchor,
        cursors: HashMap::new(),
    };
    stays(&mut hotel, cfg, &mut r, anchor);
    finish_customers(&mut hotel, &mut r, anchor);
    housekeeping(&mut hotel, &mut r, anchor);
    hotel
}

fn stays(h: &mut Hotel, cfg: &MewsSimConfig, r: &mut fastrand::Rng, anchor: DateTime<Utc>) {
    let tz = h.tz;
    let today = anchor.with_timezone(&tz).date_naive();
    let first_day = today - TimeDelta::days(cfg.history_days.max(0));
    let last_day = today + TimeDelta::days(30);
    let earliest_created = anchor - TimeDelta::days(cfg.history_days.max(0) + 62);
    let service_id = h.accommodation_id();
    // The stays on the books that no recent change names have their own generator, so the
    // rest of the hotel is drawn as it always was.
    let mut early = rng(&[cfg.seed, 0x10_4E_AD]);
    let long_stay = long_stay(h, &mut early, today, anchor, &service_id);
    for room in 0..h.resources.len() {
        let mut day = match &long_stay {
            Some((long_room, free_from)) if *long_room == room => *free_from,
            _ => first_day,
        };
        loop {
            day += TimeDelta::days(match r.u8(..100) {
                0..=39 => 0,
                40..=69 => 1,
                70..=84 => 2,
                _ => r.i64(3..6),
            });
            if day >= last_day {
                break;
            }
            let nights = pick_nights(r);
            let start = arrival(tz, day);
            let end = departure(tz, day + TimeDelta::days(nights));
            let rec = stay(
                h,
                r,
                room,
                start,
                end,
                anchor,
                earliest_created,
                &service_id,
            );
            h.reservations.push(rec);
            day += TimeDelta::days(nights);
        }
    }
    booked_long_ago(h, &mut early, anchor);
    // Confirmation numbers follow booking order.
    let mut order: Vec<usize> = (0..h.reservations.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&h.reservations[*a].sim, &h.reservations[*b].sim);
        (x.created_utc, &x.id).cmp(&(y.created_utc, &y.id))
    });
    let base = 4_000 + cfg.seed % 1_000 * 10;
    for (n, i) in order.into_iter().enumerate() {
        h.reservations[i].sim.number = (base + n as u64).to_string();
    }
    h.next_reservation_number = base + h.reservations.len() as u64;
}

/// A long stay in house: a guest who checked in three to four months ago into the top floor's
/// last room and stays another one to two months, untouched since check-in, so only a read by
/// the stay's dates (`CollidingUtc`) finds it. Returns the room and the day it is free again.
fn long_stay(
    h: &mut Hotel,
    r: &mut fastrand::Rng,
    today: NaiveDate,
    anchor: DateTime<Utc>,
    service_id: &str,
) -> Option<(usize, NaiveDate)> {
    if h.resources.len() < 2 {
        return None;
    }
    let room = h.resources.len() - 1;
    let tz = h.tz;
    let first = today - TimeDelta::days(100 + r.i64(0..21));
    let last = today + TimeDelta::days(30 + r.i64(0..31));
    let (start, end) = (arrival(tz, first), departure(tz, last));
    let booked = start - TimeDelta::days(r.i64(14..60));
    let rec = stay(h, r, room, start, end, anchor, booked, service_id);
    h.reservations.push(rec);
    Some((room, last))
}

/// Some arrivals of the coming four weeks (at least one) were booked four to eight months
/// before they begin and never touched since: a sync of recent changes never sees them.
fn booked_long_ago(h: &mut Hotel, r: &mut fastrand::Rng, anchor: DateTime<Utc>) {
    let soon = |s: &SimReservation| {
        s.state == "Confirmed"
            && s.scheduled_start_utc > anchor + TimeDelta::days(2)
            && s.scheduled_start_utc <= anchor + TimeDelta::days(28)
    };
    for (n, res) in h
        .reservations
        .iter_mut()
        .filter(|res| soon(&res.sim))
        .enumerate()
    {
        // The first always, then about one in eight.
        if n > 0 && r.u8(..100) >= 12 {
            continue;
        }
        let booked = res.sim.scheduled_start_utc
            - TimeDelta::days(r.i64(120..241))
            - minutes(r.i64(0..1_440));
        res.sim.created_utc = booked;
        res.sim.updated_utc = booked;
        res.updater_profile_id = res.creator_profile_id.clone();
    }
}

#[allow(clippy::too_many_arguments)]
fn stay(
    h: &mut Hotel,
    r: &mut fastrand::Rng,
    room: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    anchor: DateTime<Utc>,
    earliest_created: DateTime<Utc>,
    service_id: &str,
) -> ReservationRec {
    let lead = TimeDelta::days(r.i64(0..30) + r.i64(0..31)) + TimeDelta::hours(r.i64(0..24));
    let mut created = (start - lead).max(earliest_created);
    if created > anchor - minutes(10) {
        created = anchor - minutes(r.i64(10..4_320));
    }
    let mut state = "Confirmed";
    let mut actual_start = None;
    let mut actual_end = None;
    let mut cancelled = None;
    let mut reason = None;
    let mut released = None;
    let updated;
    if end <= anchor {
        match r.u8(..100) {
            0..=5 => {
                state = "Canceled";
                let span = (start.min(anchor) - created).num_minutes().max(1);
                let at = created + minutes(r.i64(0..span));
                cancelled = Some(at);
                reason = Some(pick_cancel_reason(r));
                updated = at;
            }
            6..=7 => {
                state = "Canceled";
                let at = (start + TimeDelta::hours(12)).min(anchor);
                cancelled = Some(at);
                reason = Some("NoShow");
                updated = at;
            }
            _ => {
                state = "Processed";
                let a = (start + minutes(r.i64(-120..300))).max(created);
                let mut e = end - minutes(r.i64(0..180));
                if e <= a {
                    e = a + minutes(30);
                }
                actual_start = Some(a);
                actual_end = Some(e);
                updated = (e + minutes(r.i64(1..30))).min(anchor);
            }
        }
    } else if start <= anchor {
        if anchor - start < TimeDelta::hours(8) && r.bool() {
            // Due today and not here yet.
            updated = created;
        } else {
            state = "Started";
            let a = (start + minutes(r.i64(-60..300)))
                .min(anchor - minutes(5))
                .max(created);
            actual_start = Some(a);
            updated = (a + minutes(r.i64(0..60))).min(anchor);
        }
    } else {
        match r.u8(..100) {
            0..=4 => {
                state = "Optional";
                released = Some(
                    (start - TimeDelta::days(3))
                        .max(anchor + TimeDelta::days(1))
                        .min(start),
                );
            }
            5..=7 => state = "Inquired",
            8..=13 => {
                state = "Canceled";
                let span = (anchor - created).num_minutes().max(1);
                let at = created + minutes(r.i64(0..span));
                cancelled = Some(at);
                reason = Some(pick_cancel_reason(r));
            }
            _ => {}
        }
        updated = match cancelled {
            Some(at) => at,
            None if r.bool() => created,
            None => {
                let span = (anchor - created).num_minutes().max(1);
                created + minutes(r.i64(0..span))
            }
        };
    }
    let unassigned =
        actual_start.is_none() && start - anchor > TimeDelta::days(2) && r.u8(..100) < 25;
    let category_id = h.resources[room].category_id.clone();
    let capacity = h
        .categories
        .iter()
        .find(|c| c.id == category_id)
        .map_or(2, |c| c.capacity + c.extra_capacity);
    let (adults, children) = pick_persons(r, capacity);
    let (origin, commander_origin, channel_number) = pick_origin(r);
    let business = r.u8(..100) < 25;
    let rate_id = if business && r.bool() {
        h.rates[3].0.clone()
    } else {
        h.rates[r.usize(..3)].0.clone()
    };

    // The owner: a returning guest now and then, else a new profile.
    let customer = if !h.customers.is_empty() && r.u8(..100) < 12 {
        h.customers[r.usize(..h.customers.len())].sim.id.clone()
    } else {
        let number = h.next_customer_number;
        h.next_customer_number += 1;
        let profile = h.profiles[r.usize(..h.profiles.len())].clone();
        let since = created - minutes(r.i64(0..4_320));
        let c = make_customer(r, number, since, &profile);
        let id = c.sim.id.clone();
        h.customers.push(c);
        id
    };
    let booker_id = (r.u8(..100) < 5)
        .then(|| h.customers[r.usize(..h.customers.len())].sim.id.clone())
        .filter(|b| *b != customer);
    let creator = if origin == "Connector" {
        h.connector_profile_id.clone()
    } else {
        h.profiles[r.usize(..h.profiles.len())].clone()
    };
    let updater = if updated == created {
        creator.clone()
    } else {
        h.profiles[r.usize(..h.profiles.len())].clone()
    };
    ReservationRec {
        sim: SimReservation {
            id: guid(r),
            number: String::new(),
            state: state.to_string(),
            start_utc: actual_start.map_or(start, |a: DateTime<Utc>| a.min(start)),
            end_utc: end,
            account_id: customer,
            assigned_resource_id: (!unassigned).then(|| h.resources[room].sim.id.clone()),
            person_count: adults + children,
            service_id: service_id.to_string(),
            updated_utc: updated.max(created),
            created_utc: created,
            scheduled_start_utc: start,
            scheduled_end_utc: end,
            actual_start_utc: actual_start,
            actual_end_utc: actual_end,
            cancelled_utc: cancelled,
        },
        adults,
        children,
        group_id: guid(r),
        rate_id,
        category_id,
        origin,
        commander_origin,
        channel_number,
        purpose: if business { "Business" } else { "Leisure" },
        credit_card_id: (r.u8(..100) < 60).then(|| guid(r)),
        booker_id,
        business_segment_id: r
            .bool()
            .then(|| h.business_segments[r.usize(..h.business_segments.len())].clone()),
        cancellation_reason: reason,
        released_utc: released,
        creator_profile_id: creator,
        updater_profile_id: updater,
    }
}

/// Profiles exist before their first booking, were last touched at check-in, and carry the
/// classifications their history earns.
fn finish_customers(h: &mut Hotel, r: &mut fastrand::Rng, anchor: DateTime<Utc>) {
    let mut first_booked: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut last_touch: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut stays: HashMap<&str, u32> = HashMap::new();
    for res in &h.reservations {
        let id = res.sim.account_id.as_str();
        let e = first_booked.entry(id).or_insert(res.sim.created_utc);
        *e = (*e).min(res.sim.created_utc);
        if let Some(a) = res.sim.actual_start_utc {
            let t = last_touch.entry(id).or_insert(a);
            *t = (*t).max(a);
        }
        *stays.entry(id).or_insert(0) += 1;
    }
    let mut fixes = Vec::with_capacity(h.customers.len());
    for c in &h.customers {
        let id = c.sim.id.as_str();
        let mut created = c.sim.created_utc;
        if let Some(first) = first_booked.get(id) {
            created = created.min(*first - minutes(r.i64(5..600)));
        }
        let mut updated = created;
        if let Some(t) = last_touch.get(id) {
            updated = updated.max((*t + minutes(r.i64(1..20))).min(anchor));
        }
        if r.u8(..100) < 20 {
            let span = (anchor - updated).num_minutes().max(1);
            updated += minutes(r.i64(0..span));
        }
        let mut classes = Vec::new();
        match r.u8(..100) {
            0..=3 => classes.push("VeryImportant".to_string()),
            4..=7 => classes.push("Important".to_string()),
            _ => {}
        }
        if stays.get(id).copied().unwrap_or(0) > 1 {
            classes.push("Returning".to_string());
        }
        fixes.push((created, updated.min(anchor), classes));
    }
    for (c, (created, updated, classes)) in h.customers.iter_mut().zip(fixes) {
        c.sim.created_utc = created;
        c.sim.updated_utc = updated.max(created);
        c.sim.classifications = classes;
    }
}

/// Occupied rooms and rooms vacated in the last day are mostly Dirty; the rest Clean or
/// Inspected; one room out of order and one out of service when nothing is booked into them.
fn housekeeping(h: &mut Hotel, r: &mut fastrand::Rng, anchor: DateTime<Utc>) {
    let soon = anchor + TimeDelta::days(3);
    let mut free_rooms = Vec::new();
    for i in 0..h.resources.len() {
        let id = h.resources[i].sim.id.clone();
        let id = id.as_str();
        let mine = || {
            h.reservations
                .iter()
                .filter(move |res| res.sim.assigned_resource_id.as_deref() == Some(id))
        };
        let occupied = mine().any(|res| res.sim.state == "Started");
        let vacated = mine()
            .filter(|res| res.sim.state == "Processed")
            .filter_map(|res| res.sim.actual_end_utc)
            .filter(|e| *e > anchor - TimeDelta::hours(24))
            .max();
        let booked_soon = mine().any(|res| {
            res.sim.state != "Canceled"
                && res.sim.scheduled_start_utc < soon
                && res.sim.scheduled_end_utc > anchor
        });
        let (state, updated) = if occupied {
            let s = if r.u8(..100) < 60 { "Dirty" } else { "Clean" };
            (s, anchor - minutes(r.i64(30..900)))
        } else if let Some(left) = vacated {
            if r.u8(..100) < 70 {
                ("Dirty", left)
            } else {
                ("Clean", (left + minutes(r.i64(60..180))).min(anchor))
            }
        } else if r.u8(..100) < 40 {
            ("Inspected", anchor - minutes(r.i64(60..4_320)))
        } else {
            ("Clean", anchor - minutes(r.i64(60..4_320)))
        };
        if !occupied && !booked_soon && vacated.is_none() {
            free_rooms.push(i);
        }
        let res = &mut h.resources[i].sim;
        res.state = state.to_string();
        res.updated_utc = updated;
    }
    if h.resources.len() >= 10 {
        for (k, state) in ["OutOfOrder", "OutOfService"].into_iter().enumerate() {
            if let Some(i) = free_rooms.get(free_rooms.len().saturating_sub(1 + k * 3)) {
                let res = &mut h.resources[*i].sim;
                res.state = state.to_string();
                res.updated_utc = anchor - TimeDelta::hours(r.i64(2..96));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_contacts() {
        assert_eq!(ascii_fold("Lefèvre"), "lefevre");
        assert_eq!(ascii_fold("O'Brien"), "obrien");
        assert_eq!(ascii_fold("van den Berg"), "vandenberg");
        assert_eq!(ascii_fold("Wiśniewska"), "wisniewska");
        let mut r = fastrand::Rng::with_seed(1);
        let e = email_for(&mut r, Some("Chloé"), "Dubois");
        assert!(e.is_ascii() && e.contains('@'), "{e}");
        assert!(phone_for(&mut r, "GB").starts_with("+44 7700 900"));
    }

    #[test]
    fn same_seed_same_hotel() {
        let cfg = MewsSimConfig::default();
        let now = Utc::now();
        let a = generate(&cfg, now);
        let b = generate(&cfg, now);
        assert_eq!(a.enterprise_id, b.enterprise_id);
        assert_eq!(a.reservations.len(), b.reservations.len());
        assert!(a
            .reservations
            .iter()
            .zip(&b.reservations)
            .all(|(x, y)| x.sim == y.sim));
        assert_eq!(a.resources.len(), 40);
        assert!(a.resources.iter().all(|r| r
            .sim
            .floor
            .as_deref()
            .is_some_and(|f| ("1"..="4").contains(&f))));
    }

    #[test]
    fn states_fit_the_dates() {
        let cfg = MewsSimConfig::default();
        let now = Utc::now();
        let h = generate(&cfg, now);
        assert!(h.reservations.len() > 200, "{}", h.reservations.len());
        for res in &h.reservations {
            let s = &res.sim;
            assert!(
                s.created_utc <= s.updated_utc && s.updated_utc <= now,
                "{s:?}"
            );
            match s.state.as_str() {
                "Processed" => assert!(s.end_utc <= now && s.actual_end_utc.is_some()),
                "Started" => {
                    assert!(s.actual_start_utc.is_some() && s.assigned_resource_id.is_some())
                }
                "Confirmed" | "Optional" | "Inquired" => {
                    assert!(s.end_utc > now && s.actual_start_utc.is_none())
                }
                "Canceled" => assert!(s.cancelled_utc.is_some()),
                other => panic!("unexpected state {other}"),
            }
            assert!((1..=6).contains(&s.person_count));
        }
        for state in ["Processed", "Started", "Confirmed", "Canceled"] {
            assert!(
                h.reservations.iter().any(|r| r.sim.state == state),
                "{state}"
            );
        }
        assert!(h
            .reservations
            .iter()
            .any(|r| r.sim.assigned_resource_id.is_none()));
        assert!(h.customers.iter().any(|c| c
            .sim
            .classifications
            .iter()
            .any(|k| k == "VeryImportant")));
        assert!(h.resources.iter().any(|r| r.sim.state == "Dirty"));
    }
}
