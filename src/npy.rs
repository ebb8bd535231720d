//! Reading and writing NumPy's `.npy` file format, at the byte level.
//!
//! A `.npy` file is the magic string `\x93NUMPY`, a two-byte format version,
//! the length of the header (two bytes little-endian for version 1.0, four
//! for 2.0 and 3.0), the header itself (a Python dictionary literal with the
//! keys `descr`, `fortran_order` and `shape`, padded with spaces and ended by
//! a newline so that the element data starts on a 64-byte boundary), and then
//! the raw element bytes.
//!
//! This module knows nothing of arrays: [`encode`] and [`write_to`] take a
//! dtype, a shape, a memory order and the element bytes; [`decode`] and
//! [`read_from`] give back the parsed [`NpyHeader`] and the element bytes in
//! native little-endian layout. The files written are byte-for-byte what
//! `numpy.save` writes for the same array.
//!
//! | `DType` | descr written | descrs read |
//! | --- | --- | --- |
//! | `Bool` | `\|b1` | `b1`, `?` |
//! | `I8` | `\|i1` | `i1` |
//! | `U8` | `\|u1` | `u1` |
//! | `I16` | `<i2` | `i2` |
//! | `U16` | `<u2` | `u2` |
//! | `I32` | `<i4` | `i4` |
//! | `U32` | `<u4` | `u4` |
//! | `I64` | `<i8` | `i8` |
//! | `U64` | `<u8` | `u8` |
//! | `F16` | `<f2` | `f2` |
//! | `F32` | `<f4` | `f4` |
//! | `F64` | `<f8` | `f8` |
//!
//! Descrs read may carry any of the byte-order marks `<`, `>`, `|`, `=` (or
//! none); big-endian data is byte-swapped on reading. `BF16` has no `.npy`
//! representation that NumPy reads without the `ml_dtypes` package, so it is
//! refused.
//!
//! ```
//! use strider::npy;
//! use strider::DType;
//!
//! let data: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
//! let file = npy::encode(DType::F32, &[2], false, &data).unwrap();
//! assert_eq!(&file[..6], b"\x93NUMPY");
//! let (header, bytes) = npy::decode(&file).unwrap();
//! assert_eq!(header.shape, vec![2]);
//! assert_eq!(bytes, data);
//! ```

use crate::dtype::DType;
use crate::error::{Error, Result};
use std::io::{Read, Write};

/// The magic string that opens every `.npy` file.
const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Element data starts at a multiple of this many bytes from the file start.
const ALIGN: usize = 64;
/// NumPy pads the header so that the growth axis can reach this many digits
/// when the file is rewritten in place.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// The deepest nesting of brackets that the header parser follows.
const MAX_DEPTH: usize = 32;
/// How much of a malformed header an error message quotes.
const EXCERPT_CHARS: usize = 200;

const SAVE: &str = "save_npy";
const LOAD: &str = "load_npy";

/// The parsed header of a `.npy` file.
///
/// `dtype` is the element type, `shape` the array's shape, `fortran_order`
/// whether the elements are stored in column-major (Fortran) order rather
/// than row-major (C) order, and `big_endian` whether the file stored
/// multi-byte elements big-endian (always `false` for one-byte dtypes and for
/// files written by [`encode`]).
///
/// # Errors
///
/// None: this is plain data. [`decode`] and [`read_from`] report headers
/// that cannot be parsed.
///
/// # Examples
///
/// ```
/// use strider::npy::{self, NpyHeader};
/// use strider::DType;
///
/// let data = [0u8; 6 * 4];
/// let file = npy::encode(DType::I32, &[2, 3], true, &data).unwrap();
/// let (header, _) = npy::decode(&file).unwrap();
/// assert_eq!(
///     header,
///     NpyHeader { dtype: DType::I32, shape: vec![2, 3], fortran_order: true, big_endian: false }
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NpyHeader {
    /// The element type.
    pub dtype: DType,
    /// The shape of the array.
    pub shape: Vec<usize>,
    /// Whether the elements are stored in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Whether the file stored multi-byte elements big-endian.
    pub big_endian: bool,
}

/// The `.npy` descr string that NumPy writes for `dtype`: `'|b1'`, `'|u1'`,
/// `'<i4'`, `'<u4'`, `'<i8'`, `'<u8'`, `'<f2'`, `'<f4'` or `'<f8'`.
///
/// # Errors
///
/// [`Error::DType`] for [`DType::BF16`]: NumPy has no bfloat16 dtype without
/// the `ml_dtypes` package, so bfloat16 arrays must be converted (to float32,
/// say) before they are saved.
///
/// # Examples
///
/// ```
/// use strider::npy;
/// use strider::DType;
///
/// assert_eq!(npy::descr(DType::F32).unwrap(), "<f4");
/// assert_eq!(npy::descr(DType::Bool).unwrap(), "|b1");
/// assert!(npy::descr(DType::BF16).is_err());
///
/// // Round trip: the descr written is the descr read back.
/// let file = npy::encode(DType::U64, &[1], false, &[7, 0, 0, 0, 0, 0, 0, 0]).unwrap();
/// let (header, _) = npy::decode(&file).unwrap();
/// assert_eq!(header.dtype, DType::U64);
/// ```
pub fn descr(dtype: DType) -> Result<&'static str> {
    Ok(match dtype {
        DType::Bool => "|b1",
        DType::I8 => "|i1",
        DType::U8 => "|u1",
        DType::I16 => "<i2",
        DType::U16 => "<u2",
        DType::I32 => "<i4",
        DType::U32 => "<u4",
        DType::I64 => "<i8",
        DType::U64 => "<u8",
        DType::F16 => "<f2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::BF16 => {
            return Err(Error::DType {
                op: SAVE,
                reason: "bfloat16 cannot be stored in .npy: NumPy has no bfloat16 dtype \
                         without the ml_dtypes package; convert with astype(float32) first"
                    .to_string(),
            })
        }
    })
}

/// Encodes a whole `.npy` file in memory.
///
/// `data` holds the array's elements in native little-endian layout, already
/// in C order (`fortran_order == false`) or Fortran order
/// (`fortran_order == true`). The header is written exactly as `numpy.save`
/// writes it, in format version 1.0 when it fits (a header length below
/// 65536 bytes) and 2.0 otherwise.
///
/// # Errors
///
/// * [`Error::DType`] for [`DType::BF16`] (see [`descr`]).
/// * [`Error::Value`] when `data.len()` is not the product of `shape` times
///   the itemsize, or that product overflows `usize`.
/// * [`Error::Io`] when the header would be too long even for version 2.0.
///
/// # Examples
///
/// ```
/// use strider::npy;
/// use strider::DType;
///
/// let data: Vec<u8> = (0..6i64).flat_map(|x| x.to_le_bytes()).collect();
/// let file = npy::encode(DType::I64, &[2, 3], false, &data).unwrap();
/// assert_eq!((file.len() - data.len()) % 64, 0);
/// let (header, bytes) = npy::decode(&file).unwrap();
/// assert_eq!((header.dtype, header.shape), (DType::I64, vec![2, 3]));
/// assert_eq!(bytes, data);
/// ```
pub fn encode(dtype: DType, shape: &[usize], fortran_order: bool, data: &[u8]) -> Result<Vec<u8>> {
    let header = header_bytes(dtype, shape, fortran_order, data.len())?;
    let mut out = Vec::with_capacity(header.len() + data.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    Ok(out)
}

/// Writes a whole `.npy` file to `w`, then flushes it.
///
/// The arguments mean what they mean for [`encode`]; the bytes written are
/// the bytes [`encode`] returns. Several arrays written one after another to
/// the same writer can be read back one after another with [`read_from`].
///
/// # Errors
///
/// * The errors of [`encode`], reported before anything is written.
/// * [`Error::Io`] when writing or flushing fails.
///
/// # Examples
///
/// ```
/// use strider::npy;
/// use strider::DType;
///
/// let mut file = Vec::new();
/// npy::write_to(&mut file, DType::U8, &[3], false, &[1, 2, 3]).unwrap();
/// npy::write_to(&mut file, DType::Bool, &[], false, &[1]).unwrap();
///
/// let mut reader = file.as_slice();
/// let (first, bytes) = npy::read_from(&mut reader).unwrap();
/// assert_eq!((first.dtype, bytes), (DType::U8, vec![1, 2, 3]));
/// let (second, bytes) = npy::read_from(&mut reader).unwrap();
/// assert_eq!((second.dtype, second.shape, bytes), (DType::Bool, vec![], vec![1]));
/// ```
pub fn write_to(
    w: &mut impl Write,
    dtype: DType,
    shape: &[usize],
    fortran_order: bool,
    data: &[u8],
) -> Result<()> {
    let header = header_bytes(dtype, shape, fortran_order, data.len())?;
    let io_err = |e: std::io::Error| Error::Io {
        op: SAVE,
        reason: format!("writing the .npy file failed: {e}"),
    };
    w.write_all(&header).map_err(io_err)?;
    w.write_all(data).map_err(io_err)?;
    w.flush().map_err(io_err)
}

/// Decodes a whole `.npy` file held in memory.
///
/// Returns the header and the element bytes in native little-endian layout
/// (byte-swapped when the file was big-endian), in the order the file stores
/// them (see [`NpyHeader::fortran_order`]). Bool elements are normalized to 0
/// and 1 (any nonzero byte becomes 1). Format versions 1.0, 2.0 and 3.0 are
/// read; the header dictionary may list its keys in any order, use single or
/// double quotes, and carry Python 2's `L` suffix on integers.
///
/// # Errors
///
/// * [`Error::Io`] when the bytes are not a well-formed `.npy` file: a
///   missing magic string, an unknown version, a truncated or unparsable
///   header, missing or unexpected keys, a shape whose size overflows, or
///   element data longer or shorter than the shape needs.
/// * [`Error::DType`] when the descr names a dtype strider does not have
///   (object, structured, complex, string, `int16` and so on).
///
/// # Examples
///
/// ```
/// use strider::npy;
/// use strider::DType;
///
/// let data: Vec<u8> = [0.5f64, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
/// let file = npy::encode(DType::F64, &[2, 1], false, &data).unwrap();
/// let (header, bytes) = npy::decode(&file).unwrap();
/// assert_eq!(header.shape, vec![2, 1]);
/// assert_eq!(bytes, data);
///
/// assert!(npy::decode(&file[..file.len() - 1]).is_err());
/// assert!(npy::decode(b"not a npy file").is_err());
/// ```
pub fn decode(bytes: &[u8]) -> Result<(NpyHeader, Vec<u8>)> {
    let mut rest = bytes;
    let (header, nbytes) = read_header(&mut rest)?;
    if rest.len() != nbytes {
        return Err(Error::Io {
            op: LOAD,
            reason: format!(
                "the file holds {} bytes of element data but shape {} of {} needs {} bytes",
                rest.len(),
                py_shape(&header.shape),
                header.dtype.name(),
                nbytes
            ),
        });
    }
    let mut data = rest.to_vec();
    to_native(&header, &mut data);
    Ok((header, data))
}

/// Reads one `.npy` file from `r`.
///
/// Reads exactly the header and the element bytes the header announces, so
/// several files written back to back can be read one after another; what
/// follows in `r` is left unread. The result is what [`decode`] returns.
///
/// # Errors
///
/// * The errors of [`decode`], except that bytes after the element data are
///   not an error.
/// * [`Error::Io`] when reading fails or the reader ends early.
///
/// # Examples
///
/// ```
/// use strider::npy;
/// use strider::DType;
///
/// let data: Vec<u8> = [1u32, 2, 3, 4].iter().flat_map(|x| x.to_le_bytes()).collect();
/// let mut file = Vec::new();
/// npy::write_to(&mut file, DType::U32, &[2, 2], false, &data).unwrap();
///
/// let (header, bytes) = npy::read_from(&mut file.as_slice()).unwrap();
/// assert_eq!((header.dtype, header.shape), (DType::U32, vec![2, 2]));
/// assert_eq!(bytes, data);
/// ```
pub fn read_from(r: &mut impl Read) -> Result<(NpyHeader, Vec<u8>)> {
    let (header, nbytes) = read_header(r)?;
    let data = read_up_to(r, nbytes, "element data")?;
    if data.len() != nbytes {
        return Err(Error::Io {
            op: LOAD,
            reason: format!(
                "the file is truncated: it holds {} bytes of element data but shape {} of {} \
                 needs {} bytes",
                data.len(),
                py_shape(&header.shape),
                header.dtype.name(),
                nbytes
            ),
        });
    }
    let mut data = data;
    to_native(&header, &mut data);
    Ok((header, data))
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// The shape as Python's `repr` of a tuple writes it.
fn py_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The number of bytes an array of `shape` and `dtype` occupies, or `None`
/// when that overflows `usize`.
fn byte_len(dtype: DType, shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))?
        .checked_mul(dtype.itemsize())
}

/// Everything `numpy.save` writes before the element data.
fn header_bytes(
    dtype: DType,
    shape: &[usize],
    fortran_order: bool,
    data_len: usize,
) -> Result<Vec<u8>> {
    let descr = descr(dtype)?;
    let Some(needed) = byte_len(dtype, shape) else {
        return Err(Error::Value {
            op: SAVE,
            reason: format!(
                "the total size of shape {} does not fit in memory addresses",
                py_shape(shape)
            ),
        });
    };
    if needed != data_len {
        return Err(Error::Value {
            op: SAVE,
            reason: format!(
                "the data holds {data_len} bytes but shape {} of {} needs {needed} bytes",
                py_shape(shape),
                dtype.name()
            ),
        });
    }
    let mut dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {}, }}",
        if fortran_order { "True" } else { "False" },
        py_shape(shape)
    );
    // NumPy leaves room for the axis that grows when a file is appended to.
    let growth_axis = if fortran_order {
        shape.last()
    } else {
        shape.first()
    };
    if let Some(axis) = growth_axis {
        let digits = axis.to_string().len();
        dict.extend(std::iter::repeat_n(
            ' ',
            GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
        ));
    }
    // The header proper ends in '\n'; NumPy counts that byte in `hlen` and
    // always pads with at least one space.
    let hlen = dict.len() + 1;
    for (major, len_bytes) in [(1u8, 2usize), (2u8, 4usize)] {
        let prefix = MAGIC.len() + 2 + len_bytes;
        let pad = ALIGN - (prefix + hlen) % ALIGN;
        let total = hlen + pad;
        let len_field: Vec<u8> = if len_bytes == 2 {
            match u16::try_from(total) {
                Ok(n) => n.to_le_bytes().to_vec(),
                Err(_) => continue,
            }
        } else {
            match u32::try_from(total) {
                Ok(n) => n.to_le_bytes().to_vec(),
                Err(_) => continue,
            }
        };
        let mut out = Vec::with_capacity(prefix + total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[major, 0]);
        out.extend_from_slice(&len_field);
        out.extend_from_slice(dict.as_bytes());
        out.resize(prefix + total - 1, b' ');
        out.push(b'\n');
        return Ok(out);
    }
    Err(Error::Io {
        op: SAVE,
        reason: format!(
            "the .npy header of {hlen} bytes for shape of {} dimensions is too long even for \
             format version 2.0",
            shape.len()
        ),
    })
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// An [`Error::Io`] for a malformed file.
fn malformed(reason: impl Into<String>) -> Error {
    Error::Io {
        op: LOAD,
        reason: reason.into(),
    }
}

/// Reads up to `n` bytes, fewer only when the reader ends first. Memory grows
/// with what is actually read, so a lying header cannot force a huge
/// allocation.
fn read_up_to(r: &mut impl Read, n: usize, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let limit = u64::try_from(n).unwrap_or(u64::MAX);
    r.take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| malformed(format!("reading the .npy {what} failed: {e}")))?;
    Ok(buf)
}

/// Reads exactly `N` bytes, reporting a short read as a truncated file.
fn read_array<const N: usize>(r: &mut impl Read, what: &str) -> Result<[u8; N]> {
    let buf = read_up_to(r, N, what)?;
    <[u8; N]>::try_from(buf.as_slice()).map_err(|_| {
        malformed(format!(
            "the file is truncated: it ends inside the .npy {what} ({} of {N} bytes present)",
            buf.len()
        ))
    })
}

/// The longest header strider reads. NumPy writes a few hundred bytes at
/// most for the dtypes and ranks strider handles; a longer one is hostile or
/// not an array strider can hold.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// Reads and parses everything before the element data; returns the header
/// and the number of element bytes it announces.
fn read_header(r: &mut impl Read) -> Result<(NpyHeader, usize)> {
    let prefix: [u8; 8] = read_array(r, "magic string and version")?;
    if prefix[..6] != MAGIC[..] {
        return Err(malformed(
            "not a .npy file: it does not start with the magic string \\x93NUMPY",
        ));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let header_len = match (major, minor) {
        (1, 0) => usize::from(u16::from_le_bytes(read_array(r, "header length")?)),
        (2, 0) | (3, 0) => {
            let n = u32::from_le_bytes(read_array(r, "header length")?);
            usize::try_from(n).map_err(|_| malformed("the .npy header length is too large"))?
        }
        _ => {
            return Err(malformed(format!(
                "unsupported .npy format version {major}.{minor} (strider reads 1.0, 2.0 and 3.0)"
            )))
        }
    };
    if header_len > MAX_HEADER_BYTES {
        return Err(malformed(format!(
            "the .npy header claims {header_len} bytes; strider reads headers of at most \
             {MAX_HEADER_BYTES} bytes (NumPy's own reader stops at 10,000 unless told otherwise)"
        )));
    }
    let raw = read_up_to(r, header_len, "header")?;
    if raw.len() != header_len {
        return Err(malformed(format!(
            "the file is truncated: it ends inside the .npy header ({} of {header_len} bytes \
             present)",
            raw.len()
        )));
    }
    let text: String = if major == 3 {
        String::from_utf8(raw)
            .map_err(|_| malformed("the format 3.0 .npy header is not valid UTF-8"))?
    } else {
        // Versions 1.0 and 2.0 encode the header in latin-1.
        raw.iter().map(|&b| char::from(b)).collect()
    };
    let header = parse_header(&text)?;
    let nbytes = byte_len(header.dtype, &header.shape).ok_or_else(|| {
        malformed(format!(
            "the total size of shape {} of {} does not fit in memory addresses",
            py_shape(&header.shape),
            header.dtype.name()
        ))
    })?;
    Ok((header, nbytes))
}

/// Converts element bytes as stored into native little-endian layout, and
/// bools into 0 and 1.
fn to_native(header: &NpyHeader, data: &mut [u8]) {
    let size = header.dtype.itemsize();
    if header.big_endian && size > 1 {
        for element in data.chunks_exact_mut(size) {
            element.reverse();
        }
    }
    if header.dtype == DType::Bool {
        for b in data.iter_mut() {
            *b = u8::from(*b != 0);
        }
    }
}

/// The start of `text`, for error messages.
fn excerpt(text: &str) -> String {
    let trimmed = text.trim_end();
    if trimmed.chars().count() > EXCERPT_CHARS {
        let head: String = trimmed.chars().take(EXCERPT_CHARS).collect();
        format!("{head:?}...")
    } else {
        format!("{trimmed:?}")
    }
}

/// Interprets the header dictionary.
fn parse_header(text: &str) -> Result<NpyHeader> {
    let bad = |msg: String| malformed(format!("malformed .npy header {}: {msg}", excerpt(text)));
    let chars: Vec<char> = text.chars().collect();
    let mut parser = Parser { s: &chars, pos: 0 };
    let value = parser.parse_document().map_err(bad)?;
    let Lit::Dict(entries) = value else {
        return Err(bad("the header is not a dictionary".to_string()));
    };
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    // Python keeps the last of repeated keys; so does this.
    for (key, value) in entries {
        let Lit::Str(key) = key.lit else {
            return Err(bad(format!("unexpected key {}", key.text)));
        };
        match key.as_str() {
            "descr" => descr = Some(value),
            "fortran_order" => fortran = Some(value),
            "shape" => shape = Some(value),
            other => return Err(bad(format!("unexpected key {other:?}"))),
        }
    }
    let missing = |k: &str| bad(format!("the key '{k}' is missing"));
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran = fortran.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;

    let (dtype, big_endian) = match descr.lit {
        Lit::Str(s) => parse_descr(&s)?,
        Lit::List => {
            return Err(Error::DType {
                op: LOAD,
                reason: format!(
                    "the .npy file holds a structured dtype (descr {}), which strider does not \
                     support",
                    descr.text
                ),
            })
        }
        _ => {
            return Err(bad(format!(
                "'descr' must be a string, found {}",
                descr.text
            )))
        }
    };
    let Lit::Bool(fortran_order) = fortran.lit else {
        return Err(bad(format!(
            "'fortran_order' must be True or False, found {}",
            fortran.text
        )));
    };
    let not_shape = || {
        bad(format!(
            "'shape' must be a tuple of non-negative integers, found {}",
            shape.text
        ))
    };
    let Lit::Tuple(items) = &shape.lit else {
        return Err(not_shape());
    };
    let mut dims = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Lit::Int {
                negative,
                magnitude,
            } => match magnitude {
                Some(0) => dims.push(0),
                Some(_) if *negative => return Err(not_shape()),
                Some(m) => dims.push(usize::try_from(*m).map_err(|_| {
                    bad(format!(
                        "the dimension {m} does not fit in memory addresses"
                    ))
                })?),
                None => {
                    return Err(bad(format!(
                        "a dimension of shape {} does not fit in memory addresses",
                        shape.text
                    )))
                }
            },
            _ => return Err(not_shape()),
        }
    }
    Ok(NpyHeader {
        dtype,
        shape: dims,
        fortran_order,
        big_endian,
    })
}

/// The dtype of a descr string and whether its data is big-endian.
fn parse_descr(descr: &str) -> Result<(DType, bool)> {
    let (order, code) = match descr.as_bytes().first() {
        // The mark is one ASCII byte, so slicing after it is on a char boundary.
        Some(&mark @ (b'<' | b'>' | b'|' | b'=')) => (mark, &descr[1..]),
        _ => (b'=', descr),
    };
    let dtype = match code {
        "b1" | "?" => DType::Bool,
        "i1" => DType::I8,
        "u1" => DType::U8,
        "i2" => DType::I16,
        "u2" => DType::U16,
        "i4" => DType::I32,
        "u4" => DType::U32,
        "i8" => DType::I64,
        "u8" => DType::U64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        _ => {
            return Err(Error::DType {
                op: LOAD,
                reason: format!(
                    "the .npy file holds dtype {descr:?}{}, which strider does not support \
                     (it reads bool, int8, uint8, int16, uint16, int32, uint32, int64, \
                     uint64, float16, float32 and float64)",
                    describe_code(code)
                ),
            })
        }
    };
    // '|' (not applicable) and '=' (native) carry no swap: strider's layout is
    // little-endian.
    Ok((dtype, order == b'>' && dtype.itemsize() > 1))
}

/// A NumPy name for an unsupported type code, for error messages.
fn describe_code(code: &str) -> String {
    let mut chars = code.chars();
    let kind = chars.next();
    let size: Option<usize> = chars.as_str().parse().ok();
    let name = match (kind, size) {
        (Some('i'), Some(n)) => format!("int{}", n * 8),
        (Some('u'), Some(n)) => format!("uint{}", n * 8),
        (Some('f'), Some(n)) => format!("float{}", n * 8),
        (Some('c'), Some(n)) => format!("complex{}", n * 8),
        (Some('b'), Some(n)) => format!("{n}-byte bool"),
        (Some('O'), _) => "Python objects".to_string(),
        (Some('U'), _) => "unicode strings".to_string(),
        (Some('S' | 'a'), _) => "byte strings".to_string(),
        (Some('V'), _) => "raw void bytes".to_string(),
        (Some('M'), _) => "datetime64".to_string(),
        (Some('m'), _) => "timedelta64".to_string(),
        _ => return String::new(),
    };
    format!(" ({name})")
}

// ---------------------------------------------------------------------------
// A parser for the Python literals that appear in .npy headers
// ---------------------------------------------------------------------------

/// A Python literal.
#[derive(Debug)]
enum Lit {
    Str(String),
    /// An integer; `magnitude` is `None` when it overflows `u64`.
    Int {
        negative: bool,
        magnitude: Option<u64>,
    },
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    /// A list; its items are checked for syntax but not kept.
    List,
    Dict(Vec<(Node, Node)>),
}

/// A literal together with its source text.
#[derive(Debug)]
struct Node {
    lit: Lit,
    text: String,
}

/// A recursive-descent parser over the header's characters. Every method
/// returns an error message rather than panicking, and nesting is bounded so
/// that hostile input cannot exhaust the stack.
struct Parser<'a> {
    s: &'a [char],
    pos: usize,
}

type ParseResult<T> = std::result::Result<T, String>;

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.s.get(self.pos.checked_add(offset)?).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(
            self.peek(),
            Some(' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
        ) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, wanted: &str) -> String {
        match self.peek() {
            Some(c) => format!("expected {wanted} at character {}, found {c:?}", self.pos),
            None => format!("expected {wanted}, found the end of the header"),
        }
    }

    fn expect(&mut self, c: char) -> ParseResult<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("{c:?}")))
        }
    }

    /// The whole header: one literal surrounded by whitespace.
    fn parse_document(&mut self) -> ParseResult<Lit> {
        self.skip_ws();
        let value = self.parse_value(0)?;
        self.skip_ws();
        if self.pos != self.s.len() {
            return Err(self.unexpected("the end of the header"));
        }
        Ok(value)
    }

    /// A literal and its source text.
    fn parse_node(&mut self, depth: usize) -> ParseResult<Node> {
        let start = self.pos;
        let lit = self.parse_value(depth)?;
        let text = self.s.get(start..self.pos).unwrap_or(&[]).iter().collect();
        Ok(Node { lit, text })
    }

    fn parse_value(&mut self, depth: usize) -> ParseResult<Lit> {
        if depth > MAX_DEPTH {
            return Err(format!("brackets nested more than {MAX_DEPTH} deep"));
        }
        match self.peek() {
            Some('\'' | '"') => self.parse_string(),
            Some('u' | 'U') if matches!(self.peek_at(1), Some('\'' | '"')) => {
                self.pos += 1;
                self.parse_string()
            }
            Some('(') => self.parse_tuple(depth),
            Some('[') => {
                self.pos += 1;
                self.parse_items(']', depth)?;
                Ok(Lit::List)
            }
            Some('{') => self.parse_dict(depth),
            Some(c) if c == '-' || c == '+' || c.is_ascii_digit() => self.parse_int(),
            Some(c) if c.is_alphabetic() || c == '_' => self.parse_name(),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn parse_string(&mut self) -> ParseResult<Lit> {
        let quote = self.bump().ok_or_else(|| self.unexpected("a quote"))?;
        let mut out = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err("unterminated string".to_string()),
                Some(c) if c == quote => return Ok(Lit::Str(out)),
                Some('\\') => match self.bump() {
                    None => return Err("unterminated string".to_string()),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('0') => out.push('\0'),
                    Some(c @ ('\\' | '\'' | '"')) => out.push(c),
                    Some('\n') => {}
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// `()` is the empty tuple, `(x)` is just `x`, `(x,)` and `(x, y)` are
    /// tuples.
    fn parse_tuple(&mut self, depth: usize) -> ParseResult<Lit> {
        self.expect('(')?;
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Lit::Tuple(Vec::new()));
        }
        let first = self.parse_value(depth + 1)?;
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(first);
        }
        self.expect(',')?;
        let mut items = vec![first];
        items.extend(self.parse_items(')', depth)?);
        Ok(Lit::Tuple(items))
    }

    /// Comma-separated values up to `close` (consumed), a trailing comma
    /// allowed; the opening bracket is already consumed.
    fn parse_items(&mut self, close: char, depth: usize) -> ParseResult<Vec<Lit>> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.parse_value(depth + 1)?);
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            self.expect(',')?;
        }
    }

    fn parse_dict(&mut self, depth: usize) -> ParseResult<Lit> {
        self.expect('{')?;
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Lit::Dict(entries));
            }
            let key = self.parse_node(depth + 1)?;
            self.skip_ws();
            self.expect(':')?;
            self.skip_ws();
            let value = self.parse_node(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Lit::Dict(entries));
            }
            self.expect(',')?;
        }
    }

    /// A decimal integer with an optional sign, `_` between digits, and
    /// Python 2's `L` suffix.
    fn parse_int(&mut self) -> ParseResult<Lit> {
        let mut negative = false;
        while let Some(sign @ ('-' | '+')) = self.peek() {
            self.pos += 1;
            if sign == '-' {
                negative = !negative;
            }
            self.skip_ws();
        }
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(self.unexpected("a digit"));
        }
        let mut magnitude = Some(0u64);
        while let Some(c) = self.peek() {
            if let Some(d) = c.to_digit(10) {
                magnitude = magnitude
                    .and_then(|m| m.checked_mul(10))
                    .and_then(|m| m.checked_add(u64::from(d)));
                self.pos += 1;
            } else if c == '_' && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            } else {
                break;
            }
        }
        if matches!(self.peek(), Some('L' | 'l')) {
            self.pos += 1;
        }
        if self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err(self.unexpected("an integer"));
        }
        Ok(Lit::Int {
            negative,
            magnitude,
        })
    }

    fn parse_name(&mut self) -> ParseResult<Lit> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        let name: String = self.s.get(start..self.pos).unwrap_or(&[]).iter().collect();
        match name.as_str() {
            "True" => Ok(Lit::Bool(true)),
            "False" => Ok(Lit::Bool(false)),
            "None" => Ok(Lit::None),
            _ => Err(format!("unexpected name {name:?} in the header")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    // Files written by NumPy 2.4 (`numpy.save`, or
    // `numpy.lib.format.write_array` with an explicit version).
    const F32_1D: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }                                                            \n\x00\x00\xc0?\x00\x00\x00\xc0";
    const I64_2X3: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }                                                          \n\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00";
    const U32_SCALAR: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<u4', 'fortran_order': False, 'shape': (), }                                                              \n\x07\x00\x00\x00";
    const BOOL_3: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }                                                            \n\x01\x00\x01";
    const I32_F_ORDER: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }                                                           \n\x00\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00";
    const F64_EMPTY: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }                                                            \n";
    const U8_2X2: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }                                                          \n\x01\x02\xfa\xff";
    const U64_2: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }                                                            \n\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff";
    const F16_3: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }                                                            \n\x00<\x00\xb8\xff{";
    const BE_F8: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }                                                            \n?\xf0\x00\x00\x00\x00\x00\x00\xbf\xe0\x00\x00\x00\x00\x00\x00";
    const BE_I4: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }                                                            \n\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x01\x00\x00";
    const BE_F2: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '>f2', 'fortran_order': False, 'shape': (2,), }                                                            \n<\x00\xb8\x00";
    const BE_U8: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '>u8', 'fortran_order': False, 'shape': (2,), }                                                            \n\x00\x00\x00\x00\x00\x00\x00\x01\x80\x00\x00\x00\x00\x00\x00\x05";
    const I16: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }                                                            \n\x01\x00\x02\x00";
    const C8: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }                                                            \n\x00\x00\x80?\x00\x00\x00@";
    const UNICODE: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }                                                            \na\x00\x00\x00b\x00\x00\x00";
    const STRUCT: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': [('a', '<i4'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }                                     \n\x00\x00\x00\x00\x00\x00\x00\x00";
    const V2_I32: &[u8] = b"\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }                                                          \n\x03\x00\x00\x00\x04\x00\x00\x00";
    const V3_F64: &[u8] = b"\x93NUMPY\x03\x00t\x00\x00\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }                                                        \n\x00\x00\x00\x00\x00\x00\x04@";

    fn le_bytes<T: Copy, const N: usize>(values: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        values.iter().flat_map(|&v| f(v)).collect()
    }

    fn header(dtype: DType, shape: &[usize], fortran_order: bool) -> NpyHeader {
        NpyHeader {
            dtype,
            shape: shape.to_vec(),
            fortran_order,
            big_endian: false,
        }
    }

    /// A file with the given header text (padded like NumPy's) and data.
    fn file_with_header(dict: &str, data: &[u8]) -> Vec<u8> {
        let hlen = dict.len() + 1;
        let mut out = MAGIC.to_vec();
        let mut total = hlen + ALIGN - (10 + hlen) % ALIGN;
        if let Ok(short) = u16::try_from(total) {
            out.extend_from_slice(&[1, 0]);
            out.extend_from_slice(&short.to_le_bytes());
        } else {
            total = hlen + ALIGN - (12 + hlen) % ALIGN;
            out.extend_from_slice(&[2, 0]);
            out.extend_from_slice(&u32::try_from(total).unwrap().to_le_bytes());
        }
        let start = out.len();
        out.extend_from_slice(dict.as_bytes());
        out.resize(start + total - 1, b' ');
        out.push(b'\n');
        out.extend_from_slice(data);
        out
    }

    fn io_reason(result: Result<(NpyHeader, Vec<u8>)>) -> String {
        match result {
            Err(Error::Io { op, reason }) => {
                assert_eq!(op, LOAD);
                reason
            }
            other => panic!("expected an Io error, got {other:?}"),
        }
    }

    fn dtype_reason(result: Result<(NpyHeader, Vec<u8>)>) -> String {
        match result {
            Err(Error::DType { op, reason }) => {
                assert_eq!(op, LOAD);
                reason
            }
            other => panic!("expected a DType error, got {other:?}"),
        }
    }

    #[test]
    fn encode_matches_numpy_byte_for_byte() {
        // dtype, shape, fortran_order, data, NumPy's file.
        type Case = (DType, &'static [usize], bool, Vec<u8>, &'static [u8]);
        let cases: [Case; 9] = [
            (
                DType::F32,
                &[2],
                false,
                le_bytes(&[1.5f32, -2.0], f32::to_le_bytes),
                F32_1D,
            ),
            (
                DType::I64,
                &[2, 3],
                false,
                le_bytes(&[0i64, 1, 2, 3, 4, 5], i64::to_le_bytes),
                I64_2X3,
            ),
            (
                DType::U32,
                &[],
                false,
                le_bytes(&[7u32], u32::to_le_bytes),
                U32_SCALAR,
            ),
            (DType::Bool, &[3], false, vec![1, 0, 1], BOOL_3),
            (
                DType::I32,
                &[2, 3],
                true,
                le_bytes(&[0i32, 3, 1, 4, 2, 5], i32::to_le_bytes),
                I32_F_ORDER,
            ),
            (DType::F64, &[0], false, Vec::new(), F64_EMPTY),
            (DType::U8, &[2, 2], false, vec![1, 2, 250, 255], U8_2X2),
            (
                DType::U64,
                &[2],
                false,
                le_bytes(&[1u64, u64::MAX], u64::to_le_bytes),
                U64_2,
            ),
            (
                DType::F16,
                &[3],
                false,
                le_bytes(
                    &[
                        half::f16::from_f32(1.0),
                        half::f16::from_f32(-0.5),
                        half::f16::MAX,
                    ],
                    half::f16::to_le_bytes,
                ),
                F16_3,
            ),
        ];
        for (dtype, shape, fortran, data, reference) in cases {
            let file = encode(dtype, shape, fortran, &data).unwrap();
            assert_eq!(file, reference, "{dtype:?} {shape:?}");
            let mut written = Vec::new();
            write_to(&mut written, dtype, shape, fortran, &data).unwrap();
            assert_eq!(written, reference);
            let (h, bytes) = decode(reference).unwrap();
            assert_eq!(h, header(dtype, shape, fortran));
            assert_eq!(bytes, data);
            let (h, bytes) = read_from(&mut &reference[..]).unwrap();
            assert_eq!(h, header(dtype, shape, fortran));
            assert_eq!(bytes, data);
        }
    }

    #[test]
    fn big_endian_files_are_swapped() {
        let (h, bytes) = decode(BE_F8).unwrap();
        assert_eq!((h.dtype, h.big_endian), (DType::F64, true));
        assert_eq!(bytes, le_bytes(&[1.0f64, -0.5], f64::to_le_bytes));

        let (h, bytes) = decode(BE_I4).unwrap();
        assert_eq!((h.dtype, h.big_endian), (DType::I32, true));
        assert_eq!(bytes, le_bytes(&[1i32, -2, 65536], i32::to_le_bytes));

        let (h, bytes) = decode(BE_F2).unwrap();
        assert_eq!((h.dtype, h.big_endian), (DType::F16, true));
        let halves = [half::f16::from_f32(1.0), half::f16::from_f32(-0.5)];
        assert_eq!(bytes, le_bytes(&halves, half::f16::to_le_bytes));

        let (h, bytes) = read_from(&mut &BE_U8[..]).unwrap();
        assert_eq!((h.dtype, h.big_endian), (DType::U64, true));
        assert_eq!(bytes, le_bytes(&[1u64, (1 << 63) + 5], u64::to_le_bytes));
    }

    #[test]
    fn versions_two_and_three_are_read() {
        let (h, bytes) = decode(V2_I32).unwrap();
        assert_eq!(h, header(DType::I32, &[2], false));
        assert_eq!(bytes, le_bytes(&[3i32, 4], i32::to_le_bytes));

        let (h, bytes) = decode(V3_F64).unwrap();
        assert_eq!(h, header(DType::F64, &[1, 1], false));
        assert_eq!(bytes, 2.5f64.to_le_bytes());

        // A version 3.0 header may hold UTF-8 (here in padding-free form).
        let dict = "{'descr': '<u4', 'fortran_order': False, 'shape': (1,)}   \u{e9}";
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&[3, 0]);
        file.extend_from_slice(&u32::try_from(dict.len()).unwrap().to_le_bytes());
        file.extend_from_slice(dict.as_bytes());
        file.extend_from_slice(&[9, 0, 0, 0]);
        // The trailing non-ASCII character is not whitespace: rejected, but
        // only after UTF-8 decoding succeeded.
        assert!(io_reason(decode(&file)).contains("malformed .npy header"));
        let dict = "{'descr': '<u4', 'fortran_order': False, 'shape': (1,), 'x\u{e9}': 1}";
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&[3, 0]);
        file.extend_from_slice(&u32::try_from(dict.len()).unwrap().to_le_bytes());
        file.extend_from_slice(dict.as_bytes());
        assert!(io_reason(decode(&file)).contains("unexpected key \"x\u{e9}\""));
        // Invalid UTF-8 in a 3.0 header.
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&[3, 0, 2, 0, 0, 0, 0xff, 0xfe]);
        assert!(io_reason(decode(&file)).contains("UTF-8"));
    }

    #[test]
    fn long_headers_use_version_two() {
        // 25000 dimensions of length 1 need a header longer than 65535 bytes.
        let shape = vec![1usize; 25_000];
        let file = encode(DType::F32, &shape, false, &[0, 0, 128, 63]).unwrap();
        assert_eq!(&file[6..8], &[2, 0]);
        let hlen = u32::from_le_bytes(file[8..12].try_into().unwrap()) as usize;
        assert!(hlen > usize::from(u16::MAX));
        assert_eq!((12 + hlen) % ALIGN, 0);
        assert_eq!(file[12 + hlen - 1], b'\n');
        let (h, bytes) = decode(&file).unwrap();
        assert_eq!(h, header(DType::F32, &shape, false));
        assert_eq!(bytes, 1.0f32.to_le_bytes());

        // Just below the limit stays at version 1.0.
        let shape = vec![1usize; 100];
        let file = encode(DType::U8, &shape, false, &[5]).unwrap();
        assert_eq!(&file[6..8], &[1, 0]);
    }

    #[test]
    fn headers_are_padded_like_numpy() {
        for ndim in 0..40 {
            for &len in &[0usize, 1, 7, 12345, usize::MAX] {
                let mut shape = vec![1usize; ndim];
                if let Some(first) = shape.first_mut() {
                    *first = len;
                }
                let data_len = byte_len(DType::U8, &shape).unwrap();
                if data_len > 1 << 20 {
                    continue;
                }
                for fortran in [false, true] {
                    let data = vec![3u8; data_len];
                    let file = encode(DType::U8, &shape, fortran, &data).unwrap();
                    let header_end = file.len() - data.len();
                    assert_eq!(header_end % ALIGN, 0);
                    assert_eq!(file[header_end - 1], b'\n');
                    let hlen = usize::from(u16::from_le_bytes([file[8], file[9]]));
                    assert_eq!(hlen + 10, header_end);
                    let (h, bytes) = decode(&file).unwrap();
                    assert_eq!(h, header(DType::U8, &shape, fortran));
                    assert_eq!(bytes, data);
                }
            }
        }
    }

    #[test]
    fn round_trips_every_dtype() {
        let shapes: [&[usize]; 7] = [
            &[],
            &[0],
            &[3],
            &[2, 3],
            &[0, 4],
            &[2, 1, 3],
            &[1, 1, 1, 1, 5],
        ];
        for dtype in DType::ALL {
            if dtype == DType::BF16 {
                continue;
            }
            for shape in shapes {
                for fortran in [false, true] {
                    let n: usize = shape.iter().product();
                    let mut data: Vec<u8> = (0..n * dtype.itemsize())
                        .map(|i| (i * 37 + 11) as u8)
                        .collect();
                    if dtype == DType::Bool {
                        data.iter_mut().for_each(|b| *b &= 1);
                    }
                    let file = encode(dtype, shape, fortran, &data).unwrap();
                    let (h, bytes) = decode(&file).unwrap();
                    assert_eq!(h, header(dtype, shape, fortran));
                    assert_eq!(bytes, data);
                    let (h2, bytes2) = read_from(&mut file.as_slice()).unwrap();
                    assert_eq!((h2, bytes2), (h, bytes));
                }
            }
        }
    }

    #[test]
    fn several_arrays_in_one_stream() {
        let mut stream = Vec::new();
        write_to(&mut stream, DType::I64, &[2], false, &[1; 16]).unwrap();
        write_to(&mut stream, DType::F16, &[1, 1], true, &[0, 0x3c]).unwrap();
        stream.extend_from_slice(b"trailing");
        let mut reader = stream.as_slice();
        let (h, bytes) = read_from(&mut reader).unwrap();
        assert_eq!((h, bytes), (header(DType::I64, &[2], false), vec![1; 16]));
        let (h, bytes) = read_from(&mut reader).unwrap();
        assert_eq!(
            (h, bytes),
            (header(DType::F16, &[1, 1], true), vec![0, 0x3c])
        );
        assert_eq!(reader, b"trailing");
        // decode insists on the exact length.
        assert!(decode(&stream).is_err());
    }

    #[test]
    fn bools_are_normalized() {
        let file = file_with_header(
            "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }",
            &[0, 2, 255, 1],
        );
        assert_eq!(decode(&file).unwrap().1, vec![0, 1, 1, 1]);
        assert_eq!(read_from(&mut file.as_slice()).unwrap().1, vec![0, 1, 1, 1]);
    }

    #[test]
    fn header_syntax_variants() {
        let data = le_bytes(&[1i32, 2, 3, 4, 5, 6], i32::to_le_bytes);
        let variants = [
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)}",
            "{\"shape\": (2, 3), \"descr\": \"<i4\", \"fortran_order\": False}",
            "{'fortran_order':False,'shape':(2,3),'descr':'<i4'}",
            "  {  'shape' :  ( 2 ,\t3 , ) ,\n 'fortran_order' : False , 'descr' : '<i4' ,  }  \n",
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2L, 3L), }",
            "{'descr': 'i4', 'fortran_order': False, 'shape': (2, 3), }",
            "{'descr': '=i4', 'fortran_order': False, 'shape': (2, 3), }",
            "{'descr': '|i4', 'fortran_order': False, 'shape': (2, 3), }",
            "{'descr': u'<i4', 'fortran_order': False, 'shape': (+2, 0_3), }",
            "{'descr': 'x', 'descr': '<i4', 'fortran_order': False, 'shape': ((2, 3)), }",
            "{'descr': ('<i4'), 'fortran_order': (False), 'shape': (2, 3), }",
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\r\n\t \x0c",
        ];
        for dict in variants {
            let (h, bytes) =
                decode(&file_with_header(dict, &data)).unwrap_or_else(|e| panic!("{dict:?}: {e}"));
            assert_eq!(h, header(DType::I32, &[2, 3], false), "{dict:?}");
            assert_eq!(bytes, data);
        }

        let others: [(&str, DType, &[usize], bool, usize); 6] = [
            (
                "{'descr': '?', 'fortran_order': True, 'shape': (1,)}",
                DType::Bool,
                &[1],
                true,
                1,
            ),
            (
                "{'descr': '>b1', 'fortran_order': False, 'shape': ()}",
                DType::Bool,
                &[],
                false,
                1,
            ),
            (
                "{'descr': '>u1', 'fortran_order': False, 'shape': (2,)}",
                DType::U8,
                &[2],
                false,
                2,
            ),
            (
                "{'descr': '|f8', 'fortran_order': False, 'shape': (0, 5)}",
                DType::F64,
                &[0, 5],
                false,
                0,
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-0,)}",
                DType::F32,
                &[0],
                false,
                0,
            ),
            (
                "{'descr': 'u8', 'fortran_order': False, 'shape': (1,1,)}",
                DType::U64,
                &[1, 1],
                false,
                8,
            ),
        ];
        for (dict, dtype, shape, fortran, nbytes) in others {
            let (h, bytes) = decode(&file_with_header(dict, &vec![1; nbytes]))
                .unwrap_or_else(|e| panic!("{dict:?}: {e}"));
            assert_eq!(h, header(dtype, shape, fortran), "{dict:?}");
            assert_eq!(bytes.len(), nbytes);
        }
    }

    #[test]
    fn malformed_headers_are_io_errors() {
        let cases = [
            ("[1, 2]", "not a dictionary"),
            (
                "{'descr': '<i4', 'fortran_order': False}",
                "'shape' is missing",
            ),
            (
                "{'fortran_order': False, 'shape': ()}",
                "'descr' is missing",
            ),
            (
                "{'descr': '<i4', 'shape': ()}",
                "'fortran_order' is missing",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (), 'extra': 1}",
                "unexpected key \"extra\"",
            ),
            (
                "{1: 2, 'descr': '<i4', 'fortran_order': False, 'shape': ()}",
                "unexpected key 1",
            ),
            (
                "{'descr': 4, 'fortran_order': False, 'shape': ()}",
                "'descr' must be a string",
            ),
            (
                "{'descr': '<i4', 'fortran_order': 0, 'shape': ()}",
                "'fortran_order' must be True or False",
            ),
            (
                "{'descr': '<i4', 'fortran_order': None, 'shape': ()}",
                "'fortran_order' must be True or False",
            ),
            (
                "{'descr': '<i4', 'fortran_order': false, 'shape': ()}",
                "unexpected name \"false\"",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': [2]}",
                "'shape' must be a tuple",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (2)}",
                "'shape' must be a tuple",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (-2,)}",
                "'shape' must be a tuple",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': ('2',)}",
                "'shape' must be a tuple",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (2.0,)}",
                "expected an integer",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (0x2,)}",
                "expected an integer",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (,)}",
                "expected a value",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (2 3)}",
                "expected ','",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (2,}",
                "expected a value",
            ),
            (
                "{'descr': '<i4' 'fortran_order': False, 'shape': ()}",
                "expected ','",
            ),
            (
                "{'descr' '<i4', 'fortran_order': False, 'shape': ()}",
                "expected ':'",
            ),
            (
                "{'descr': '<i4, 'fortran_order': False, 'shape': ()}",
                "expected ','",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': ()",
                "expected ',', found the end",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': ()} x",
                "the end of the header",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': ()}\0",
                "the end of the header",
            ),
            (
                "{'descr': \"<i4, 'fortran_order': False, 'shape': ()}",
                "unterminated string",
            ),
            ("", "found the end of the header"),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
                "does not fit",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (18446744073709551615, 2)}",
                "does not fit",
            ),
            (
                "{'descr': '<i4', 'fortran_order': False, 'shape': (4611686018427387904,)}",
                "does not fit",
            ),
        ];
        for (dict, expected) in cases {
            let reason = io_reason(decode(&file_with_header(dict, &[])));
            assert!(reason.contains(expected), "{dict:?}: {reason}");
        }
        // Deep nesting is refused without exhausting the stack.
        for open in ["(", "[", "{'a': "] {
            let dict = format!("{{'descr': {}", open.repeat(100_000));
            let reason = io_reason(decode(&file_with_header(&dict, &[])));
            assert!(reason.contains("nested more than"), "{reason}");
        }
        // Long headers are quoted only in part.
        let dict = format!("{{'descr': '<i4', 'pad': '{}'}}", "x".repeat(10_000));
        assert!(io_reason(decode(&file_with_header(&dict, &[]))).len() < 600);
    }

    #[test]
    fn bad_prefixes() {
        assert!(io_reason(decode(b"")).contains("truncated"));
        assert!(io_reason(decode(b"\x93NUMP")).contains("truncated"));
        assert!(io_reason(decode(b"\x93NUMPZ\x01\x00\x00\x00")).contains("magic"));
        assert!(io_reason(decode(b"PK\x03\x04 this is a zip")).contains("magic"));
        for version in [[0u8, 0], [1, 1], [4, 0], [2, 1], [255, 255]] {
            let mut file = F32_1D.to_vec();
            file[6..8].copy_from_slice(&version);
            let reason = io_reason(decode(&file));
            assert!(
                reason.contains(&format!("version {}.{}", version[0], version[1])),
                "{reason}"
            );
        }
        // A header length running past the end of the file.
        let mut file = F32_1D.to_vec();
        file[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
        assert!(io_reason(decode(&file)).contains("inside the .npy header"));
        let mut file = V2_I32.to_vec();
        file[8..12].copy_from_slice(&4096u32.to_le_bytes());
        assert!(io_reason(decode(&file)).contains("inside the .npy header"));
        assert!(io_reason(read_from(&mut file.as_slice())).contains("inside the .npy header"));
        // A header claiming more than strider reads is refused unread.
        file[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(io_reason(decode(&file)).contains("at most 1048576 bytes"));
        assert!(io_reason(read_from(&mut file.as_slice())).contains("at most 1048576 bytes"));
    }

    #[test]
    fn data_length_must_match() {
        let mut long = F32_1D.to_vec();
        long.push(0);
        let reason = io_reason(decode(&long));
        assert!(
            reason.contains("9 bytes") && reason.contains("needs 8 bytes"),
            "{reason}"
        );
        let reason = io_reason(decode(&F32_1D[..F32_1D.len() - 3]));
        assert!(
            reason.contains("5 bytes") && reason.contains("needs 8 bytes"),
            "{reason}"
        );
        assert!(
            reason.contains("(2,)") && reason.contains("float32"),
            "{reason}"
        );
        let reason = io_reason(read_from(&mut &F32_1D[..F32_1D.len() - 3]));
        assert!(
            reason.contains("truncated") && reason.contains("5 bytes"),
            "{reason}"
        );
        // A header that announces an enormous array does not allocate it.
        let file = file_with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,)}",
            &[0; 16],
        );
        assert!(io_reason(decode(&file)).contains("needs 8000000000000 bytes"));
        assert!(io_reason(read_from(&mut file.as_slice())).contains("needs 8000000000000 bytes"));
    }

    #[test]
    fn unsupported_dtypes_are_dtype_errors() {
        for (file, descr) in [(C8, "'<c8'"), (UNICODE, "'<U2'")] {
            let reason = dtype_reason(decode(file));
            assert!(
                reason.contains(&format!("\"{}\"", &descr[1..descr.len() - 1])),
                "{reason}"
            );
            let reason = dtype_reason(read_from(&mut &file[..]));
            assert!(reason.contains("does not support"), "{reason}");
        }
        // NumPy's int16 file (once unsupported) reads as int16.
        let (h, data) = decode(I16).unwrap();
        assert_eq!(
            (h.dtype, h.shape, data),
            (DType::I16, vec![2], vec![1, 0, 2, 0])
        );
        assert!(dtype_reason(decode(C8)).contains("complex64"));
        let reason = dtype_reason(decode(STRUCT));
        assert!(
            reason.contains("structured") && reason.contains("[('a', '<i4'), ('b', '<f4')]"),
            "{reason}"
        );
        for descr in [
            "|O", "|i3", "<u3", "<i16", ">u16", "<f16", "<c16", "|S3", "|V2", "<M8[ns]", "<m8[s]",
            "b2", "", "<", "f", "<f4 ", " <f4", "<F4", "<?4",
        ] {
            let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (0,)}}");
            let reason = dtype_reason(decode(&file_with_header(&dict, &[])));
            assert!(
                reason.contains(&format!("{descr:?}")),
                "{descr:?}: {reason}"
            );
        }
    }

    #[test]
    fn latin1_headers() {
        // Versions 1.0 and 2.0 headers are latin-1: byte 0xe9 is 'é'.
        let mut file = file_with_header(
            "{'descr': '<?', 'fortran_order': False, 'shape': (0,)}",
            &[],
        );
        let at = file.iter().position(|&b| b == b'?').unwrap();
        file[at] = 0xe9;
        let reason = dtype_reason(decode(&file));
        assert!(reason.contains("\"<\u{e9}\""), "{reason}");
    }

    #[test]
    fn truncations_never_panic() {
        let files: Vec<Vec<u8>> = vec![
            F32_1D.to_vec(),
            I64_2X3.to_vec(),
            U32_SCALAR.to_vec(),
            BOOL_3.to_vec(),
            I32_F_ORDER.to_vec(),
            BE_F8.to_vec(),
            V2_I32.to_vec(),
            V3_F64.to_vec(),
            encode(DType::U8, &vec![1; 25_000], true, &[1]).unwrap(),
        ];
        for file in &files {
            for len in 0..file.len() {
                let cut = &file[..len];
                assert_eq!(decode(cut).unwrap_err().kind(), ErrorKind::Io, "len {len}");
                assert_eq!(read_from(&mut &cut[..]).unwrap_err().kind(), ErrorKind::Io);
            }
            assert!(decode(file).is_ok());
        }
    }

    /// A small deterministic generator for the fuzz tests.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn mutations_never_panic() {
        let interesting = [
            0u8, 1, 0xff, 0x80, b' ', b'\n', b'(', b')', b',', b'\'', b'"', b'{', b'}', b':', b'-',
            b'9', b'L', b'\\',
        ];
        for file in [F32_1D, I32_F_ORDER, BE_U8, V2_I32, V3_F64, STRUCT] {
            for pos in 0..file.len() {
                for &byte in &interesting {
                    let mut mutated = file.to_vec();
                    mutated[pos] = byte;
                    let a = decode(&mutated);
                    let b = read_from(&mut mutated.as_slice());
                    if let (Ok(a), Ok(b)) = (&a, &b) {
                        assert_eq!(a, b);
                    }
                }
            }
        }
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let mut file = match rng.below(3) {
                0 => F32_1D.to_vec(),
                1 => I64_2X3.to_vec(),
                _ => STRUCT.to_vec(),
            };
            for _ in 0..=rng.below(4) {
                let pos = rng.below(file.len());
                match rng.below(3) {
                    0 => file[pos] = interesting[rng.below(interesting.len())],
                    1 => {
                        file.remove(pos);
                    }
                    _ => file.insert(pos, interesting[rng.below(interesting.len())]),
                }
            }
            let _ = decode(&file);
            let _ = read_from(&mut file.as_slice());
        }
        // Random headers built from the characters of Python literals.
        let alphabet: Vec<char> = "{}()[]'\":, -+_0123456789LTrueFalsNonedscrptihapu<>|=\\\n\t"
            .chars()
            .collect();
        for _ in 0..20_000 {
            let len = rng.below(80);
            let dict: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let _ = decode(&file_with_header(&dict, &[0; 8]));
        }
    }

    #[test]
    fn encode_errors() {
        match descr(DType::BF16) {
            Err(Error::DType { op, reason }) => {
                assert_eq!(op, SAVE);
                assert!(reason.contains("ml_dtypes") && reason.contains("astype(float32)"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            encode(DType::BF16, &[1], false, &[0, 0])
                .unwrap_err()
                .kind(),
            ErrorKind::DType
        );
        let mut sink = Vec::new();
        assert!(write_to(&mut sink, DType::BF16, &[1], false, &[0, 0]).is_err());
        assert!(sink.is_empty());

        match encode(DType::I32, &[2, 2], false, &[0; 15]) {
            Err(Error::Value { op, reason }) => {
                assert_eq!(op, SAVE);
                assert!(
                    reason.contains("15 bytes") && reason.contains("needs 16 bytes"),
                    "{reason}"
                );
                assert!(
                    reason.contains("(2, 2)") && reason.contains("int32"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        let err = encode(DType::F64, &[usize::MAX, 2], false, &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Value);
        assert!(err.to_string().contains("does not fit"));
        assert!(encode(DType::U8, &[usize::MAX], false, &[]).is_err());
    }

    struct Failing;

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("device gone"))
        }
    }

    #[test]
    fn io_failures_are_io_errors() {
        match write_to(&mut Failing, DType::U8, &[1], false, &[1]) {
            Err(Error::Io { op, reason }) => {
                assert_eq!(op, SAVE);
                assert!(reason.contains("disk full"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(io_reason(read_from(&mut Failing)).contains("device gone"));
        // A reader that fails after the header.
        let mut reader = F32_1D[..F32_1D.len() - 8].chain(Failing);
        assert!(io_reason(read_from(&mut reader)).contains("device gone"));
    }
}
