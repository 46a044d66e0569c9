//! Paging and ordering for every list of the API: `limit` (default 50, at most 200),
//! `offset`, `ordering` (a field name, `-` for descending); answers `{"items", "total"}`.

use super::FieldErrors;
use serde::{Deserialize, Serialize};

/// Items per page when a request does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The most items one page may hold.
pub const MAX_LIMIT: usize = 200;

/// The query string of a list request, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListParams {
    /// How many items the page may hold.
    pub limit: Option<String>,
    /// How many items to skip first.
    pub offset: Option<String>,
    /// The field to order by, with `-` in front for descending.
    pub ordering: Option<String>,
}

/// A checked list request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// The most items the page holds.
    pub limit: usize,
    /// How many items are skipped first.
    pub offset: usize,
    /// The field to order by, one of those the list allows.
    pub order_by: &'static str,
    /// Whether the order is reversed (newest or largest first).
    pub descending: bool,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items the whole list holds, across every page.
    pub total: usize,
}

impl ListParams {
    /// Checks the parameters against the fields this list can be ordered by;
    /// `default_ordering` (e.g. `-created_at`) applies when none is asked for.
    pub fn parse(
        &self,
        fields: &[&'static str],
        default_ordering: &str,
    ) -> Result<ListQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut number =
            |name: &str, raw: &Option<String>, default: usize, max: usize| match raw.as_deref() {
                None | Some("") => default,
                Some(text) => match text.parse::<usize>() {
                    Ok(n) if n <= max => n,
                    _ => {
                        errors.insert(name.into(), format!("A whole number from 0 to {max}"));
                        default
                    }
                },
            };
        let limit = number("limit", &self.limit, DEFAULT_LIMIT, MAX_LIMIT);
        let offset = number("offset", &self.offset, 0, usize::MAX);
        let ordering = self
            .ordering
            .as_deref()
            .filter(|o| !o.is_empty())
            .unwrap_or(default_ordering);
        let (descending, name) = match ordering.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, ordering),
        };
        let order_by = fields.iter().find(|f| **f == name).copied();
        if order_by.is_none() {
            errors.insert("ordering".into(), format!("One of: {}", fields.join(", ")));
        }
        match order_by {
            Some(order_by) if errors.is_empty() => Ok(ListQuery {
                limit,
                offset,
                order_by,
                descending,
            }),
            _ => Err(errors),
        }
    }
}

impl ListQuery {
    /// Orders and pages items held in memory (for short lists, like a person's devices).
    pub fn apply<T, K: Ord>(&self, mut items: Vec<T>, key: impl Fn(&T, &str) -> K) -> Page<T> {
        let total = items.len();
        items.sort_by(|a, b| {
            let order = key(a, self.order_by).cmp(&key(b, self.order_by));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        let items = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        Page { items, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(limit: &str, offset: &str, ordering: &str) -> ListParams {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        ListParams {
            limit: some(limit),
            offset: some(offset),
            ordering: some(ordering),
        }
    }

    #[test]
    fn defaults_and_bounds() {
        let query = ListParams::default()
            .parse(&["created_at"], "-created_at")
            .unwrap();
        assert_eq!(
            query,
            ListQuery {
                limit: 50,
                offset: 0,
                order_by: "created_at",
                descending: true
            }
        );
        assert_eq!(
            params("200", "5", "created_at")
                .parse(&["created_at"], "-created_at")
                .unwrap()
                .limit,
            200
        );
        let errors = params("201", "-1", "password")
            .parse(&["created_at"], "-created_at")
            .unwrap_err();
        assert_eq!(errors["limit"], "A whole number from 0 to 200");
        assert!(errors.contains_key("offset"));
        assert_eq!(errors["ordering"], "One of: created_at");
    }

    #[test]
    fn applies_order_and_page() {
        let query = params("2", "1", "-n").parse(&["n"], "n").unwrap();
        let page = query.apply(vec![1, 5, 3, 4], |n, _| *n);
        assert_eq!(
            page,
            Page {
                items: vec![4, 3],
                total: 4
            }
        );
    }
}
