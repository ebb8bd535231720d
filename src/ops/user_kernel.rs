//! User elementwise kernels on the GPU: a WGSL expression over named
//! inputs, in the spirit of CuPy's `ElementwiseKernel`.
//!
//! The expression is checked once, when the kernel is made: its input names
//! are bound to the kernel's inputs, the shader is generated and parsed and
//! validated by naga (the WGSL front end wgpu itself uses), and any error
//! comes back with naga's message and the expression. A call broadcasts its
//! inputs, reads them through their strides (views, negative steps,
//! broadcasts: no copies), converts each to the compute type and writes a
//! new C-ordered array of the output dtype. The compiled pipeline is cached
//! per (expression, input dtypes, layout class), like the built-in ops.

use crate::array::Array;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::gpu::MAX_INPUTS;
use crate::layout::{broadcast_shapes, Layout, Order};

/// An elementwise GPU kernel from a WGSL expression over named inputs.
///
/// In the expression each input name stands for that input's element
/// converted to the compute type, written `C` in WGSL (`C(2)` is the number
/// 2 in it). In WGSL, uint8 and uint16 values are `u32`, int8 and int16
/// `i32`, bool `bool` and bfloat16 `f32`; the result is converted to the
/// output dtype with NumPy's casting rules. WGSL's built-ins (`exp`,
/// `sin`, `pow`, `fma`, ...) may be used; their accuracy is the device's
/// (strider's own ops use its exact routines instead).
///
/// ```
/// use strider::{Array, DType, Device, ElementwiseKernel};
/// let k = ElementwiseKernel::new("saxpy", &["x", "y"], "C(2) * x + y", DType::F32, DType::F32)?;
/// assert!(ElementwiseKernel::new("bad", &["x"], "x +", DType::F32, DType::F32).is_err());
/// if let Ok(gpu) = Device::gpu() {
///     let x = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?.to_device(&gpu)?;
///     let y = Array::from_vec(vec![10.0f32, 20.0], &[2, 1])?.to_device(&gpu)?;
///     let out = k.call(&[&x, &y])?; // broadcast to (2, 3)
///     assert_eq!(out.to_cpu()?.to_vec::<f32>()?, [12.0, 14.0, 16.0, 22.0, 24.0, 26.0]);
/// }
/// # Ok::<(), strider::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ElementwiseKernel {
    name: String,
    inputs: Vec<String>,
    /// The expression with input `k` renamed `x{k}`.
    expr: String,
    compute: DType,
    out: DType,
}

const OP: &str = "ElementwiseKernel";

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && s != "_"
        && !s.starts_with("__")
}

/// `expr` with every identifier token equal to `names[k]` replaced by
/// `x{k}`; other identifiers (built-ins, `C`, swizzles after a `.`) stay.
fn rename(expr: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(expr.len() + 8);
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let after_dot = out.trim_end().ends_with('.');
            match names.iter().position(|n| *n == word) {
                Some(k) if !after_dot => out.push_str(&format!("x{k}")),
                _ => out.push_str(&word),
            }
        } else if c.is_ascii_digit() {
            // A number, with any suffix letters (`2u`, `1e5f`, `0x1F`).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                out.push(chars[i]);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

impl ElementwiseKernel {
    /// A kernel named `name` (for errors and kernel names) computing `expr`
    /// over the inputs `inputs` (1 to [`MAX_INPUTS`] distinct WGSL
    /// identifiers), in compute type `compute`, writing dtype `out`.
    ///
    /// # Errors
    /// A value error for bad input names or an expression that does not
    /// parse or validate as WGSL of type `C` (naga's message is included);
    /// a dtype error for a compute or output dtype with no WGSL form here.
    ///
    /// ```
    /// use strider::{DType, ElementwiseKernel};
    /// let e = ElementwiseKernel::new("k", &["a"], "a + undefined_thing", DType::F32, DType::F32)
    ///     .unwrap_err();
    /// assert!(e.to_string().contains("undefined_thing"), "{e}");
    /// assert!(ElementwiseKernel::new("k", &["a", "a"], "a", DType::F32, DType::F32).is_err());
    /// ```
    pub fn new(
        name: &str,
        inputs: &[&str],
        expr: &str,
        compute: DType,
        out: DType,
    ) -> Result<ElementwiseKernel> {
        if inputs.is_empty() || inputs.len() > MAX_INPUTS {
            return Err(Error::Value {
                op: OP,
                reason: format!(
                    "{name}: a kernel takes 1 to {MAX_INPUTS} inputs, not {}",
                    inputs.len()
                ),
            });
        }
        for (k, n) in inputs.iter().enumerate() {
            if !is_ident(n) {
                return Err(Error::Value {
                    op: OP,
                    reason: format!("{name}: input name {n:?} is not a WGSL identifier"),
                });
            }
            if inputs[..k].contains(n) {
                return Err(Error::Value {
                    op: OP,
                    reason: format!("{name}: input name {n:?} appears twice"),
                });
            }
        }
        let names: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
        let kernel = ElementwiseKernel {
            name: name.to_string(),
            expr: rename(expr, &names),
            inputs: names,
            compute,
            out,
        };
        kernel.validate(expr)?;
        Ok(kernel)
    }

    /// Parses and validates the shader for inputs already of the compute
    /// dtype (every input is converted to `C` before the expression sees
    /// it, so this checks the expression for any input dtypes).
    fn validate(&self, original: &str) -> Result<()> {
        let src = crate::gpu::elementwise_source(
            "elementwise_kernel",
            &self.expr,
            "",
            &vec![self.compute; self.inputs.len()],
            self.compute,
            self.out,
        )?;
        let fail = |what: &str, msg: String| Error::Value {
            op: OP,
            reason: format!(
                "{}: the expression {original:?} (inputs {}) {what}: {msg}",
                self.name,
                self.inputs.join(", ")
            ),
        };
        let module = wgpu::naga::front::wgsl::parse_str(&src)
            .map_err(|e| fail("does not parse", e.emit_to_string(&src)))?;
        let mut validator = wgpu::naga::valid::Validator::new(
            wgpu::naga::valid::ValidationFlags::all(),
            wgpu::naga::valid::Capabilities::all(),
        );
        validator
            .validate(&module)
            .map_err(|e| fail("does not validate", e.emit_to_string(&src)))?;
        Ok(())
    }

    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The input names, in call order.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// Runs the kernel over `inputs` (GPU arrays on one device, any dtypes,
    /// shapes that broadcast together, any strides) into a new C-ordered
    /// array of the output dtype on that device.
    ///
    /// # Errors
    /// A value error for the wrong number of inputs, a broadcast error for
    /// shapes that do not broadcast, a device error for a CPU array (use
    /// [`Array::map`] / [`Array::zip_map`] there) or arrays on different
    /// devices, a dtype error for a dtype the device cannot hold.
    pub fn call(&self, inputs: &[&Array]) -> Result<Array> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::Value {
                op: OP,
                reason: format!(
                    "{}: the kernel takes {} inputs ({}), but {} were given",
                    self.name,
                    self.inputs.len(),
                    self.inputs.join(", "),
                    inputs.len()
                ),
            });
        }
        let devices: Vec<Device> = inputs.iter().map(|a| a.device()).collect();
        if let Some(k) = devices.iter().position(|d| d.is_cpu()) {
            return Err(Error::Device {
                op: OP,
                reason: format!(
                    "{}: input {} of shape {} is on the CPU; user WGSL kernels run on a GPU \
                     (move it with to_device, or use map / zip_map on the CPU)",
                    self.name,
                    self.inputs[k],
                    fmt_shape(inputs[k].shape())
                ),
            });
        }
        let device = Device::common(OP, &devices)?;
        let shapes: Vec<&[usize]> = inputs.iter().map(|a| a.shape()).collect();
        let shape = broadcast_shapes(OP, &shapes)?;
        let layout = Layout::contiguous(OP, &shape, Order::C)?;
        let out = Array::alloc_on(&device, OP, layout, self.out)?;
        crate::ops::gpu::elementwise("elementwise_kernel", &self.expr, self.compute, &out, inputs)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_touches_only_whole_input_names() {
        let names = vec!["x".to_string(), "y2".to_string(), "v".to_string()];
        assert_eq!(
            rename("exp(x) * y2 + xx + v.x + 2u + 1e5 - max(v, x)", &names),
            "exp(x0) * x1 + xx + x2.x + 2u + 1e5 - max(x2, x0)"
        );
        assert!(is_ident("alpha_1") && !is_ident("1a") && !is_ident("a-b") && !is_ident("_"));
    }
}
