//! The hub's OpenAPI 3.1 document, built with the router from one list of routes: each route is
//! served at the path and methods its `#[utoipa::path]` annotation states, and that annotation
//! is what the document says, so the two cannot drift.

use super::routes;
use super::state::SharedState;
use crate::store::HubStore;
use axum::handler::Handler;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The name of the bearer scheme the sync routes require.
pub const BEARER: &str = "device_token";

/// What the document says beside its paths: the title, the schemas and the security scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "venue-hub",
        description = "The hub Venue Console installations sync with. Every response carries the hub's clock in `x-hub-time-ms` and a request id in `x-request-id`; every error is `{code, message}`.",
    ),
    components(schemas(
        venue_domain::wire::EnrollRequest,
        venue_domain::wire::EnrollResponse,
        venue_domain::wire::HubVenue,
        venue_domain::wire::PushRequest,
        venue_domain::wire::PushResponse,
        venue_domain::wire::PullResponse,
        venue_domain::wire::PullScope,
        venue_domain::wire::ErrorBody,
        venue_domain::sync::Outcome,
        venue_domain::sync::ChangeOutcome,
        venue_domain::NodeId,
    )),
    modifiers(&BearerScheme),
)]
struct HubDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "The device token a console got from POST /v1/enroll, bound to one venue and one console"
                .to_string(),
        );
        components.add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// A router and the document of its routes, grown together.
struct Documented<S: HubStore> {
    router: Router<SharedState<S>>,
    doc: utoipa::openapi::OpenApi,
}

impl<S: HubStore> Documented<S> {
    /// Serves `handler` where `P`'s annotation says, and adds that annotation to the document.
    fn route<P, H, T>(mut self, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<T, SharedState<S>>,
        T: 'static,
    {
        let methods = P::methods();
        let filter = methods
            .iter()
            .map(method_filter)
            .reduce(MethodFilter::or)
            .unwrap_or(MethodFilter::GET);
        self.router = self
            .router
            .route(&P::path(), MethodRouter::new().on(filter, handler));
        self.doc
            .paths
            .add_path_operation(P::path(), methods, P::operation());
        self
    }
}

fn method_filter(method: &HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Delete => MethodFilter::DELETE,
        HttpMethod::Options => MethodFilter::OPTIONS,
        HttpMethod::Head => MethodFilter::HEAD,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Trace => MethodFilter::TRACE,
    }
}

/// Every route of the hub, and the document describing them (itself included).
pub fn routes<S: HubStore>() -> (Router<SharedState<S>>, utoipa::openapi::OpenApi) {
    use routes::{enroll, health, live, sync};
    let mut doc = HubDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let documented = Documented {
        router: Router::new(),
        doc,
    }
    .route::<enroll::__path_enroll, _, _>(enroll::enroll::<S>)
    .route::<sync::__path_push, _, _>(sync::push::<S>)
    .route::<sync::__path_pull, _, _>(sync::pull::<S>)
    .route::<live::__path_live, _, _>(live::live::<S>)
    .route::<health::__path_healthz, _, _>(health::healthz)
    .route::<health::__path_readyz, _, _>(health::readyz::<S>)
    .route::<health::__path_metrics, _, _>(health::metrics::<S>);
    let Documented { router, mut doc } = documented;
    doc.paths.add_path_operation(
        <__path_openapi_json as utoipa::Path>::path(),
        <__path_openapi_json as utoipa::Path>::methods(),
        <__path_openapi_json as utoipa::Path>::operation(),
    );
    // Written once: the document does not change while the hub runs.
    let text: std::sync::Arc<str> = match doc.to_json() {
        Ok(text) => text.into(),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document could not be written");
            "{}".into()
        }
    };
    let router = router.route(
        &<__path_openapi_json as utoipa::Path>::path(),
        axum::routing::get(move || openapi_json(text.clone())),
    );
    (router, doc)
}

/// The document as served at `GET /openapi.json`.
pub fn document<S: HubStore>() -> utoipa::openapi::OpenApi {
    routes::<S>().1
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object, content_type = "application/json")),
)]
async fn openapi_json(text: std::sync::Arc<str>) -> impl axum::response::IntoResponse {
    ([(CONTENT_TYPE, "application/json")], text.to_string())
}
