//! `.npy` files: `save_npy`, `load_npy` and their in-memory forms.

use super::Array;
use crate::error::{Error, Result};
use crate::layout::{Layout, Order};
use crate::npy;
use crate::storage::CpuData;
use std::path::Path;

impl Array {
    /// The array as the bytes of a `.npy` file (format 1.0, or 2.0 for huge
    /// headers): C order, or F order when the array is F- but not
    /// C-contiguous. A view that is neither is gathered first (an explicit,
    /// recorded copy).
    ///
    /// # Errors
    /// bfloat16 has no `.npy` dtype; the array must be on the CPU.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// let bytes = a.to_npy_bytes().unwrap();
    /// let b = strider::Array::from_npy_bytes(&bytes).unwrap();
    /// assert_eq!(b.to_vec::<i64>().unwrap(), a.to_vec::<i64>().unwrap());
    /// assert_eq!(b.shape(), &[2, 3]);
    /// ```
    pub fn to_npy_bytes(&self) -> Result<Vec<u8>> {
        let op = "save_npy";
        self.require_cpu(op)?;
        npy::descr(self.dtype())?;
        let fortran = self.is_f_contiguous() && !self.is_c_contiguous();
        let order = if fortran { Order::F } else { Order::C };
        let dense = if self.layout.ravel_view(order).is_some() {
            self.clone()
        } else {
            let c = self.flatten_into_new(op, order)?;
            self.record_copy(op, "gather a non-contiguous view for writing", false, &c);
            c
        };
        let start = dense.layout.extent().map_or(0, |(lo, _)| lo);
        let guard = dense.cpu_read(op)?;
        let data = guard.to_le_bytes_range(start, self.size());
        npy::encode(self.dtype(), self.shape(), fortran, &data)
    }

    /// Writes the array to a `.npy` file that NumPy's `np.load` reads.
    ///
    /// # Errors
    /// As [`Array::to_npy_bytes`], plus file-system errors.
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![1.5f32, 2.5], &[2]).unwrap();
    /// let path = std::env::temp_dir().join("strider_doc_save.npy");
    /// a.save_npy(&path).unwrap();
    /// assert_eq!(strider::Array::load_npy(&path).unwrap().to_vec::<f32>().unwrap(), vec![1.5, 2.5]);
    /// # std::fs::remove_file(&path).ok();
    /// ```
    pub fn save_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = self.to_npy_bytes()?;
        std::fs::write(path.as_ref(), bytes).map_err(|e| Error::Io {
            op: "save_npy",
            reason: format!("cannot write {}: {e}", path.as_ref().display()),
        })
    }

    /// An array from the bytes of a `.npy` file (versions 1.0, 2.0 and 3.0,
    /// C or F order, either byte order).
    ///
    /// # Errors
    /// A malformed file, or a dtype strider does not have.
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![true, false], &[2]).unwrap();
    /// let b = strider::Array::from_npy_bytes(&a.to_npy_bytes().unwrap()).unwrap();
    /// assert_eq!(b.to_vec::<bool>().unwrap(), vec![true, false]);
    /// ```
    pub fn from_npy_bytes(bytes: &[u8]) -> Result<Array> {
        let (header, data) = npy::decode(bytes)?;
        let order = if header.fortran_order {
            Order::F
        } else {
            Order::C
        };
        let layout = Layout::contiguous("load_npy", &header.shape, order)?;
        Ok(Array::from_parts(
            CpuData::from_le_bytes(header.dtype, &data),
            layout,
        ))
    }

    /// Reads a `.npy` file written by NumPy or by [`Array::save_npy`].
    ///
    /// # Errors
    /// As [`Array::from_npy_bytes`], plus file-system errors.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("strider_doc_load.npy");
    /// strider::Array::eye(2, 2, 0, strider::DType::F64).unwrap().save_npy(&path).unwrap();
    /// let e = strider::Array::load_npy(&path).unwrap();
    /// assert_eq!(e.to_vec::<f64>().unwrap(), vec![1.0, 0.0, 0.0, 1.0]);
    /// # std::fs::remove_file(&path).ok();
    /// ```
    pub fn load_npy(path: impl AsRef<Path>) -> Result<Array> {
        let bytes = std::fs::read(path.as_ref()).map_err(|e| Error::Io {
            op: "load_npy",
            reason: format!("cannot read {}: {e}", path.as_ref().display()),
        })?;
        Array::from_npy_bytes(&bytes)
    }
}
