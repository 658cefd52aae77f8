//! The OpenAPI document served at `/openapi.json`: it parses, it lists every route the hub
//! serves with every status each returns, and real answers of a hub on a loopback port match its
//! schemas.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::num::NonZeroU32;
use support::{Backend, Hub};
use uuid::Uuid;
use venue_domain::sync::PROTOCOL_VERSION;
use venue_domain::wire::EnrollResponse;
use venue_domain::{ChangeOp, ChangeRecord, EntityKind, Hlc, NodeId, Origin};
use venue_hub::server::{credentials, HubSettings};

/// Every route the hub serves, by method and path.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/enroll"),
    ("post", "/v1/sync/push"),
    ("get", "/v1/sync/pull"),
    ("get", "/v1/sync/live"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

async fn document(base: &str) -> Value {
    let res = support::http()
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_document_parses_and_lists_every_route_with_every_status() {
    let hub = Hub::start(Backend::Sqlite).await;
    let doc = document(&hub.base).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    // utoipa's own model reads it back: it is a well-formed OpenAPI document.
    let typed: utoipa::openapi::OpenApi = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(typed.paths.paths.len(), ROUTES.len());

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served);

    // Each documented route is really served: not a 404 or a 405.
    let http = support::http();
    for (method, path) in ROUTES {
        let url = format!("{}{path}", hub.base);
        let res = match *method {
            "get" => http.get(url).send().await.unwrap(),
            _ => http.post(url).json(&json!({})).send().await.unwrap(),
        };
        assert!(
            res.status() != StatusCode::NOT_FOUND && res.status() != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            res.status()
        );
    }

    let errors = |method: &str, path: &str| -> BTreeSet<u16> {
        let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
        for (status, response) in responses {
            if !status.starts_with('2') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
        responses
            .keys()
            .map(|s| s.parse::<u16>().unwrap())
            .filter(|s| *s >= 400)
            .collect()
    };
    let set = |s: &[u16]| s.iter().copied().collect::<BTreeSet<u16>>();
    assert_eq!(
        errors("post", "/v1/enroll"),
        set(&[400, 403, 408, 413, 429, 503])
    );
    assert_eq!(
        errors("post", "/v1/sync/push"),
        set(&[400, 401, 403, 408, 413, 429, 503])
    );
    assert_eq!(
        errors("get", "/v1/sync/pull"),
        set(&[400, 401, 408, 429, 503])
    );
    assert_eq!(errors("get", "/readyz"), set(&[503]));
    assert_eq!(errors("get", "/metrics"), set(&[503]));

    // The bearer scheme, required by exactly the sync routes.
    assert_eq!(
        doc["components"]["securitySchemes"]["device_token"],
        json!({"type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["device_token"]["description"]})
    );
    for (method, path) in ROUTES {
        let security = &doc["paths"][path][method]["security"];
        if path.starts_with("/v1/sync/") {
            assert_eq!(*security, json!([{"device_token": []}]), "{path}");
        } else {
            assert!(security.is_null(), "{path} needs no token");
        }
    }

    // Every reference names a schema the document has.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }
    hub.stop().await;
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The schema the document gives for `status` of `method path`, and its media type.
fn response_schema<'d>(
    doc: &'d Value,
    method: &str,
    path: &str,
    status: u16,
) -> (&'d str, &'d Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let content = response["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} does not document {status}"));
    let (media, body) = content.iter().next().unwrap();
    (media.as_str(), &body["schema"])
}

/// Checks `value` against `schema`, for the keywords this document uses: `$ref`, `type` (one
/// or several), `properties` with `required`, `items`, `oneOf`, `allOf`, `enum`, `minimum`, and
/// the `uuid` format. Returns what does not match, empty when all does.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        return violations(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
            _ => panic!("type {types}"),
        };
        let fits = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("type {other}"),
        });
        if !fits {
            out.push(format!("{at}: {value} is not {types:?}"));
            return out;
        }
    }
    if let Some(required) = schema["required"].as_array() {
        for field in required {
            let field = field.as_str().unwrap();
            if value.get(field).is_none() {
                out.push(format!(
                    "{at}: `{field}` is required and missing from {value}"
                ));
            }
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, property) in properties {
            if let Some(v) = object.get(name) {
                out.extend(violations(doc, property, v, &format!("{at}.{name}")));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            out.extend(violations(doc, items, v, &format!("{at}[{i}]")));
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            out.extend(violations(doc, s, value, at));
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let matching = one
            .iter()
            .filter(|s| violations(doc, s, value, at).is_empty())
            .count();
        if matching != 1 {
            out.push(format!(
                "{at}: {value} matches {matching} of oneOf, not one"
            ));
        }
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            out.push(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64()) {
        if n < min {
            out.push(format!("{at}: {n} is below {min}"));
        }
    }
    if let (Some("uuid"), Some(s)) = (schema["format"].as_str(), value.as_str()) {
        if Uuid::parse_str(s).is_err() {
            out.push(format!("{at}: {s:?} is not a uuid"));
        }
    }
    out
}

/// Checks one real answer against the document: its status is documented for the route, its
/// media type is the documented one, and a JSON body matches the schema.
async fn conforms(doc: &Value, method: &str, path: &str, res: reqwest::Response) -> Value {
    let status = res.status().as_u16();
    let (media, schema) = response_schema(doc, method, path, status);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with(media),
        "{method} {path} {status}: {content_type}, documented {media}"
    );
    let text = res.text().await.unwrap();
    if media != "application/json" {
        assert_eq!(schema["type"], "string", "{method} {path} {status}");
        return Value::String(text);
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    let wrong = violations(doc, schema, &body, "body");
    assert!(
        wrong.is_empty(),
        "{method} {path} {status}: {wrong:#?}\n{body}"
    );
    body
}

fn note(venue: Uuid, node: NodeId, text: &str) -> Value {
    let id = venue_domain::new_id();
    serde_json::to_value(ChangeRecord {
        change_id: venue_domain::new_id(),
        venue_id: venue,
        entity: EntityKind::DeskNote,
        entity_id: id,
        op: ChangeOp::Upsert,
        payload: json!({"id": id, "venue_id": venue, "text": text}),
        hlc: Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
        node,
        origin: Origin::User,
    })
    .unwrap()
}

#[tokio::test]
async fn real_answers_match_the_document() {
    let settings = HubSettings {
        // Small enough to answer 413 to a body of a few hundred kilobytes.
        max_body_bytes: 256 * 1024,
        // Four enrolment attempts a minute from one address, so the fifth meets the limit.
        enroll_per_minute: NonZeroU32::new(4).unwrap(),
        ..HubSettings::default()
    };
    let hub = Hub::start_with(Backend::Sqlite, settings).await;
    let doc = document(&hub.base).await;
    let http = support::http();
    let url = |path: &str| format!("{}{path}", hub.base);
    let venue = hub.venue("Harbour Hotel").await;

    // Enrolment: 200 (twice, two consoles), 403 for a used code, 400 for a body that is not
    // one, and 429 past the address's limit.
    let (desk, office) = (NodeId::generate(), NodeId::generate());
    let mut tokens = Vec::new();
    let mut used = String::new();
    for node in [desk, office] {
        used = hub.code(venue).await;
        let res = http
            .post(url("/v1/enroll"))
            .json(&json!({"code": used, "node": node}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = conforms(&doc, "post", "/v1/enroll", res).await;
        tokens.push(
            serde_json::from_value::<EnrollResponse>(body)
                .unwrap()
                .token,
        );
    }
    let (desk_token, office_token) = (tokens[0].clone(), tokens[1].clone());
    for (body, status) in [
        (json!({"code": used, "node": office}), StatusCode::FORBIDDEN),
        (json!({"code": 7}), StatusCode::BAD_REQUEST),
        (
            json!({"code": used, "node": office}),
            StatusCode::TOO_MANY_REQUESTS,
        ),
    ] {
        let res = http
            .post(url("/v1/enroll"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
        conforms(&doc, "post", "/v1/enroll", res).await;
    }

    // Push: applied and rejected outcomes side by side, then every refusal.
    let push = |token: &str, node: NodeId, changes: Vec<Value>| {
        http.post(url("/v1/sync/push"))
            .bearer_auth(token)
            .json(&json!({"protocol": PROTOCOL_VERSION, "schema": 1, "node": node, "changes": changes}))
            .send()
    };
    let res = push(
        &desk_token,
        desk,
        vec![
            note(venue, desk, "kept"),
            note(Uuid::new_v4(), desk, "another venue's"),
            json!({"entity": "nonsense"}),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = conforms(&doc, "post", "/v1/sync/push", res).await;
    let kinds: Vec<&str> = body["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["applied", "rejected", "rejected"]);
    let res = push("not-a-token", desk, vec![]).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    conforms(&doc, "post", "/v1/sync/push", res).await;
    let res = push(&desk_token, office, vec![]).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    conforms(&doc, "post", "/v1/sync/push", res).await;
    let res = http
        .post(url("/v1/sync/push"))
        .bearer_auth(&desk_token)
        .json(&json!({"protocol": PROTOCOL_VERSION, "node": desk}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    conforms(&doc, "post", "/v1/sync/push", res).await;
    let big = "x".repeat(300 * 1024);
    let res = push(&desk_token, desk, vec![note(venue, desk, &big)])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    conforms(&doc, "post", "/v1/sync/push", res).await;

    // Pull, as a second console of the venue sees the first one's note; then its refusals.
    let res = http
        .get(url("/v1/sync/pull?limit=10"))
        .bearer_auth(&office_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = conforms(&doc, "get", "/v1/sync/pull", res).await;
    assert_eq!(
        body["changes"].as_array().unwrap().len(),
        1,
        "the desk's note"
    );
    for (query, token, status) in [
        ("?after=x", desk_token.as_str(), StatusCode::BAD_REQUEST),
        ("?limit=0", desk_token.as_str(), StatusCode::BAD_REQUEST),
        ("?limit=-3", desk_token.as_str(), StatusCode::BAD_REQUEST),
        ("", "", StatusCode::UNAUTHORIZED),
    ] {
        let res = http
            .get(url(&format!("/v1/sync/pull{query}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{query}");
        conforms(&doc, "get", "/v1/sync/pull", res).await;
    }

    // Operations.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let res = http.get(url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        conforms(&doc, "get", path, res).await;
    }
    hub.stop().await;
}

/// 503 is real too: the database gone, readiness and every route that needs it say so.
#[tokio::test]
async fn a_hub_without_its_database_answers_503_as_documented() {
    let hub = Hub::start(Backend::Postgres).await;
    let doc = document(&hub.base).await;
    let venue = hub.venue("Hill Bar").await;
    let code = hub.code(venue).await;
    let http = support::http();
    let res = http
        .post(format!("{}/v1/enroll", hub.base))
        .json(&json!({"code": code, "node": NodeId::generate()}))
        .send()
        .await
        .unwrap();
    let token = res.json::<EnrollResponse>().await.unwrap().token;
    let venue_hub::store::AnyHub::Postgres(store) = &hub.store else {
        panic!("a PostgreSQL hub")
    };
    store.close().await;
    let res = http
        .get(format!("{}/readyz", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    conforms(&doc, "get", "/readyz", res).await;
    let res = http
        .get(format!("{}/v1/sync/pull", hub.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    conforms(&doc, "get", "/v1/sync/pull", res).await;
    let res = http
        .post(format!("{}/v1/enroll", hub.base))
        .json(&json!({"code": credentials::new_code().unwrap(), "node": NodeId::generate()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    conforms(&doc, "post", "/v1/enroll", res).await;
    hub.stop().await;
}
