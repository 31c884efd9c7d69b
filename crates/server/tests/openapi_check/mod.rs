//! Checks JSON against the schemas of an OpenAPI 3.1 document: the part of JSON
//! Schema that utoipa writes (`$ref`, `type` and type lists, `properties`,
//! `required`, `additionalProperties`, `items`, `prefixItems`, `oneOf`/`anyOf`/
//! `allOf`, `enum`, `minimum`), and whether an answer carries fields its schema does
//! not name.
#![allow(dead_code)]

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A checker over one document.
pub struct Checker<'a> {
    pub doc: &'a Value,
}

/// What a local `$ref` (`#/components/...`) points at.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Every `$ref` string in `v`.
pub fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                match (k.as_str(), inner) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

fn type_fits(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

impl<'a> Checker<'a> {
    /// The schema a `$ref` schema points at (itself otherwise).
    fn target(&self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(self.doc, r)
                .map(|t| self.target(t))
                .unwrap_or(&Value::Null),
            None => s,
        }
    }

    /// Problems of `v` against schema `s`, each naming where (`at`).
    pub fn check(&self, s: &Value, v: &Value, at: &str) -> Vec<String> {
        let mut errs = Vec::new();
        self.walk(s, v, at, &mut errs);
        errs
    }

    fn walk(&self, s: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        let s = match s {
            Value::Bool(true) => return,
            Value::Bool(false) => return errs.push(format!("{at}: no value is allowed here")),
            Value::Object(map) => map,
            _ => return errs.push(format!("{at}: the schema is not a schema")),
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match resolve(self.doc, r) {
                Some(target) => self.walk(target, v, at, errs),
                None => errs.push(format!("{at}: $ref {r} does not resolve")),
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            all.iter().for_each(|part| self.walk(part, v, at, errs));
        }
        for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
            if let Some(options) = s.get(key).and_then(Value::as_array) {
                let fitting = options
                    .iter()
                    .filter(|o| self.check(o, v, at).is_empty())
                    .count();
                if fitting == 0 || (exactly_one && fitting > 1) {
                    errs.push(format!("{at}: {v} fits {fitting} of the {key} options"));
                }
            }
        }
        if let Some(t) = s.get("type") {
            let names: Vec<&str> = match t {
                Value::String(n) => vec![n.as_str()],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !names.iter().any(|n| type_fits(n, v)) {
                errs.push(format!("{at}: {v} is not of type {t}"));
                return;
            }
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array)
            && !options.contains(v)
        {
            errs.push(format!("{at}: {v} is not one of {options:?}"));
        }
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
            && n < min
        {
            errs.push(format!("{at}: {n} is below the minimum {min}"));
        }
        if let Value::Object(obj) = v {
            self.object(s, obj, at, errs);
        }
        if let Value::Array(items) = v {
            let prefix = s.get("prefixItems").and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let here = format!("{at}[{i}]");
                match prefix.and_then(|p| p.get(i)) {
                    Some(p) => self.walk(p, item, &here, errs),
                    None => {
                        if let Some(each) = s.get("items") {
                            self.walk(each, item, &here, errs);
                        }
                    }
                }
            }
        }
    }

    fn object(
        &self,
        s: &Map<String, Value>,
        obj: &Map<String, Value>,
        at: &str,
        errs: &mut Vec<String>,
    ) {
        let props = s.get("properties").and_then(Value::as_object);
        for name in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(name) {
                errs.push(format!("{at}: the required field {name} is missing"));
            }
        }
        for (k, val) in obj {
            let here = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(p) => self.walk(p, val, &here, errs),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errs.push(format!("{here}: the schema allows no such field"))
                    }
                    Some(extra) => self.walk(extra, val, &here, errs),
                    None => {}
                },
            }
        }
    }

    /// Fields of `v` that schema `s` does not name (where it names its fields): an
    /// answer that says more than its documentation.
    pub fn undocumented(&self, s: &'a Value, v: &Value, at: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.extras(s, v, at, &mut out);
        out
    }

    /// The fields `s` names, through `$ref` and `allOf`, with each one's schema;
    /// `None` when it takes any field.
    fn fields(&self, s: &'a Value) -> Option<Vec<(String, &'a Value)>> {
        let s = self.target(s);
        let mut out = Vec::new();
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            for part in parts {
                out.extend(self.fields(part)?);
            }
        }
        if s.get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
        {
            return None;
        }
        match s.get("properties").and_then(Value::as_object) {
            Some(props) => out.extend(props.iter().map(|(k, p)| (k.clone(), p))),
            None if out.is_empty() => return None,
            None => {}
        }
        Some(out)
    }

    fn extras(&self, s: &'a Value, v: &Value, at: &str, out: &mut Vec<String>) {
        let s = self.target(s);
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = s.get(key).and_then(Value::as_array) {
                if let Some(fit) = options.iter().find(|o| self.check(o, v, at).is_empty()) {
                    self.extras(fit, v, at, out);
                }
                return;
            }
        }
        match v {
            Value::Object(obj) => {
                let Some(fields) = self.fields(s) else { return };
                let named: BTreeSet<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                for (k, val) in obj {
                    if !named.contains(k.as_str()) {
                        out.push(format!("{at}.{k} is not documented"));
                    }
                    for (_, p) in fields.iter().filter(|(name, _)| name == k) {
                        self.extras(p, val, &format!("{at}.{k}"), out);
                    }
                }
            }
            Value::Array(items) => {
                let prefix = s.get("prefixItems").and_then(Value::as_array);
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{at}[{i}]");
                    if let Some(p) = prefix.and_then(|p| p.get(i)).or_else(|| s.get("items")) {
                        self.extras(p, item, &here, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// The schema the document gives for `method path` answering `status` as
    /// `content_type` (its parameters ignored); an error when it documents no such
    /// answer.
    pub fn answer_schema(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: &str,
    ) -> Result<Option<&'a Value>, String> {
        let op = self.doc["paths"]
            .get(path)
            .and_then(|item| item.get(method))
            .ok_or_else(|| format!("{method} {path} is not documented"))?;
        let mut answer = op["responses"]
            .get(status.to_string())
            .ok_or_else(|| format!("{method} {path} does not document status {status}"))?;
        if let Some(r) = answer.get("$ref").and_then(Value::as_str) {
            answer = resolve(self.doc, r).ok_or_else(|| format!("{r} does not resolve"))?;
        }
        let media = content_type.split(';').next().unwrap_or("").trim();
        match answer.get("content").and_then(Value::as_object) {
            None if media.is_empty() => Ok(None),
            None => Err(format!(
                "{method} {path} {status} documents no body, the server sent {content_type}"
            )),
            Some(content) => content
                .get(media)
                .map(|c| Some(&c["schema"]))
                .ok_or_else(|| {
                    format!(
                        "{method} {path} {status} documents {:?}, the server sent {content_type:?}",
                        content.keys().collect::<Vec<_>>()
                    )
                }),
        }
    }
}
