//! The OpenAPI document of `/api/v1`. Each operation is described where it is handled
//! (`#[utoipa::path]` on the handler) and each type where it is defined (`ToSchema` on
//! the domain types, under the `openapi` feature); `complete` then adds what holds for
//! every operation of a kind, so that no handler can forget it: the errors any JSON body
//! can cause, the 401 and 403 of every signed-in operation, `Retry-After` on every 429.

use super::error::ErrorBody;
use super::SESSION_COOKIE;
use domain::MAX_LIMIT;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HeaderBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref,
    Required, ResponseBuilder, ServerBuilder,
};
use utoipa::ToSchema;

/// What the document says before any operation is added: who it is, where it is served,
/// how a caller is authenticated, and the error shape.
pub fn base() -> OpenApi {
    let mut components = ComponentsBuilder::new().schema_from::<ErrorBody>().build();
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
    );
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A personal API token (lk_...) from POST /tokens"))
                .build(),
        ),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Latchkey API")
                .version("1")
                .description(Some(
                    "Latchkey's JSON API. Authenticate with the session cookie that sign-in \
                     sets. Errors always have the shape \
                     {\"error\": {\"code\", \"message\", \"fields\"?}}.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url("/api/v1").build()]))
        .components(Some(components))
        .build()
}

/// Adds to every operation the answers that come with its kind.
pub fn complete(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            complete_operation(operation);
        }
    }
}

fn complete_operation(operation: &mut Operation) {
    let takes_json = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    if takes_json {
        add_error(
            operation,
            "400",
            "bad_request: the body is not readable JSON",
        );
        add_error(
            operation,
            "413",
            "payload_too_large: the body is over the limit",
        );
        add_error(
            operation,
            "415",
            "unsupported_media_type: the body is not application/json",
        );
        add_error(
            operation,
            "422",
            "validation_failed: `fields` says which field and why",
        );
    }
    if let Some(security) = operation.security.clone().filter(|s| !s.is_empty()) {
        add_error(
            operation,
            "401",
            "unauthenticated: no session (or an ended one), or an unknown, expired or revoked token",
        );
        // A route that takes a token may refuse one without the scope it needs; a route
        // that takes only a session refuses every token.
        let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
        if security.contains(&bearer) {
            add_error(
                operation,
                "403",
                "insufficient_scope: the token lacks the scope",
            );
        } else {
            add_error(
                operation,
                "403",
                "session_required: an API token cannot do this",
            );
        }
    }
    if let Some(utoipa::openapi::RefOr::T(throttled)) = operation.responses.responses.get_mut("429")
    {
        let header = HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some("seconds to wait"))
            .build();
        throttled.headers.insert("Retry-After".into(), header);
    }
}

/// Documents an error answer, unless the operation already describes that status.
fn add_error(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                        .build(),
                )
                .build()
                .into()
        });
}

/// The query of a list: `limit`, `offset`, and `ordering` by one of `fields` (`-` for
/// descending), `default` when absent.
pub fn list_params(fields: &[&str], default: &str) -> Vec<Parameter> {
    let query = |name: &str, schema: ObjectBuilder, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build()
    };
    let orderings = fields
        .iter()
        .flat_map(|field| [field.to_string(), format!("-{field}")]);
    vec![
        query(
            "limit",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(MAX_LIMIT as u64))
                .default(Some(domain::DEFAULT_LIMIT.into())),
            "items per page",
        ),
        query(
            "offset",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .default(Some(0.into())),
            "items to skip",
        ),
        query(
            "ordering",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(orderings))
                .default(Some(default.into())),
            "the field to order by; `-` before it for descending",
        ),
    ]
}
