//! The template step that turns the `.wgsl` files under `shaders/` into one
//! shader per kernel variant.
//!
//! A placeholder is `{{ name }}` (spaces inside the braces optional; names
//! are letters, digits and `_`). [`fill`] replaces every placeholder with its
//! value in one pass (values are not scanned again), and refuses templates
//! with a placeholder it has no value for, and values the template never
//! uses, so a typo cannot silently produce a different shader.

use crate::error::{Error, Result};

fn template_err(template_name: &str, reason: String) -> Error {
    Error::Value {
        op: "fill_template",
        reason: format!("shader template {template_name}: {reason}"),
    }
}

/// Fill the placeholders of `template` (named `template_name` in errors)
/// with `vars`, given as `(name, value)` pairs.
///
/// # Errors
///
/// [`Error::Value`] naming the template and the placeholder when the
/// template has a placeholder that `vars` lacks, a `{{` that does not start a
/// well-formed placeholder, a var the template never uses, or a var given
/// twice.
///
/// ```
/// use strider::gpu::template::fill;
/// let src = fill("demo.wgsl", "alias T = {{ dtype }};", &[("dtype", "f32")]).unwrap();
/// assert_eq!(src, "alias T = f32;");
/// assert!(fill("demo.wgsl", "{{ dtype }} {{ op }}", &[("dtype", "f32")]).is_err());
/// assert!(fill("demo.wgsl", "{{ dtype }}", &[("dtype", "f32"), ("op", "+")]).is_err());
/// ```
pub fn fill(template_name: &str, template: &str, vars: &[(&str, &str)]) -> Result<String> {
    for (i, (name, _)) in vars.iter().enumerate() {
        if vars[..i].iter().any(|(n, _)| n == name) {
            return Err(template_err(
                template_name,
                format!("the value of {{{{ {name} }}}} is given twice"),
            ));
        }
    }
    let mut used = vec![false; vars.len()];
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let line = template[..template.len() - rest.len() + open]
            .matches('\n')
            .count()
            + 1;
        let Some(close) = after.find("}}") else {
            return Err(template_err(
                template_name,
                format!("line {line}: `{{{{` without a closing `}}}}`"),
            ));
        };
        let name = after[..close].trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(template_err(
                template_name,
                format!(
                    "line {line}: malformed placeholder `{{{{{}}}}}`",
                    &after[..close]
                ),
            ));
        }
        match vars.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                used[i] = true;
                out.push_str(vars[i].1);
            }
            None => {
                return Err(template_err(
                    template_name,
                    format!("line {line}: no value for placeholder {{{{ {name} }}}}"),
                ))
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(template_err(
            template_name,
            format!(
                "the value for {{{{ {} }}}} is never used (no such placeholder)",
                vars[i].0
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_occurrence() {
        let t = "a {{x}} b {{ x }} c {{  y  }}";
        let s = fill("t.wgsl", t, &[("x", "1"), ("y", "2")]).unwrap();
        assert_eq!(s, "a 1 b 1 c 2");
    }

    #[test]
    fn values_are_not_rescanned() {
        let s = fill("t.wgsl", "{{ a }}", &[("a", "{{ b }}")]).unwrap();
        assert_eq!(s, "{{ b }}");
    }

    #[test]
    fn leftover_placeholder_names_template_and_placeholder() {
        let err = fill("elementwise.wgsl", "x\n{{ expr }}", &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("elementwise.wgsl"), "{msg}");
        assert!(msg.contains("{{ expr }}"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn unused_and_duplicate_vars_are_errors() {
        let msg = fill("r.wgsl", "{{ a }}", &[("a", "1"), ("zz", "2")])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("r.wgsl") && msg.contains("{{ zz }}"), "{msg}");
        let msg = fill("r.wgsl", "{{ a }}", &[("a", "1"), ("a", "2")])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("twice"), "{msg}");
    }

    #[test]
    fn malformed_placeholders_are_errors() {
        assert!(fill("m.wgsl", "{{ a", &[("a", "1")]).is_err());
        assert!(fill("m.wgsl", "{{ a b }}", &[]).is_err());
        assert!(fill("m.wgsl", "{{}}", &[]).is_err());
    }

    #[test]
    fn no_placeholders_is_identity() {
        assert_eq!(fill("n.wgsl", "fn f() {}", &[]).unwrap(), "fn f() {}");
    }
}
