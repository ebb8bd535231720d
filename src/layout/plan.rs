//! The iteration plan for N operands of one shape, in the spirit of PyTorch's
//! TensorIterator: drop length-1 axes, sort the axes so the smallest stride is
//! innermost, merge neighbours that walk memory as one axis, then hand out the
//! outer positions in ranges (one range per thread, say).

use super::order::insertion_sort;

/// How to visit every element of N operands that share a shape (already
/// broadcast: stride 0 on repeated axes). Operand 0 is the output by
/// convention and decides the memory order.
///
/// The plan has at least one axis. Its shape is slowest first; the last axis
/// is the inner run that a kernel loops over with a constant stride per
/// operand. Offsets are in elements, relative to each operand's own offset.
///
/// ```
/// use strider::layout::Plan;
/// // out (C, 3x4) = a.T (strides 1, 3) + row (strides 0, 1)
/// let p = Plan::new(&[3, 4], &[&[4, 1], &[1, 3], &[0, 1]]);
/// assert_eq!((p.shape(), p.inner_len(), p.inner_stride(1)), (&[3, 4][..], 4, 3));
/// let mut starts = Vec::new();
/// p.for_each_outer(0, p.outer_size(), |offs| starts.push(offs.to_vec()));
/// assert_eq!(starts, vec![vec![0, 0, 0], vec![4, 1, 0], vec![8, 2, 0]]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Axis lengths, slowest first, innermost last; never empty.
    shape: Vec<usize>,
    /// Operand-major: the strides of operand `k` are `strides[k*ndim..(k+1)*ndim]`.
    strides: Vec<isize>,
    nops: usize,
    size: usize,
}

impl Plan {
    /// Plans a walk over `shape` for operands with the given strides (each as
    /// long as `shape`). Length-1 axes are dropped; the axes are sorted by a
    /// stable insertion sort so the smallest `|stride|` is innermost (operand 0
    /// decides, then the next operand whose strides differ; ties keep C order);
    /// neighbours merge when, for every operand, `stride[outer] ==
    /// len[inner] * stride[inner]`. A scalar or size-1 shape gives one inner
    /// element; size 0 gives `size() == 0` and no outer positions.
    ///
    /// ```
    /// use strider::layout::Plan;
    /// let p = Plan::new(&[2, 1, 3], &[&[3, 7, 1], &[-3, 0, -1]]);
    /// assert_eq!((p.shape(), p.strides(0), p.strides(1)), (&[6][..], &[1][..], &[-1][..]));
    /// ```
    pub fn new(shape: &[usize], operand_strides: &[&[isize]]) -> Plan {
        let nops = operand_strides.len();
        debug_assert!(operand_strides.iter().all(|s| s.len() == shape.len()));
        let size: usize = shape.iter().product();
        if size == 0 {
            return Plan {
                shape: vec![0],
                strides: vec![0; nops],
                nops,
                size: 0,
            };
        }
        // Axes fastest first, length-1 axes dropped.
        let mut axes: Vec<usize> = (0..shape.len()).rev().filter(|&a| shape[a] != 1).collect();
        insertion_sort(&mut axes, |j0, j1| {
            operand_strides.iter().find_map(|s| {
                let (s0, s1) = (s[j0].unsigned_abs(), s[j1].unsigned_abs());
                (s0 != 0 && s1 != 0 && s0 != s1).then_some(s0 < s1)
            })
        });
        // Merge, fastest first: `lens[i]` with strides `st[i*nops..(i+1)*nops]`.
        let mut lens: Vec<usize> = Vec::with_capacity(axes.len().max(1));
        let mut st: Vec<isize> = Vec::with_capacity(axes.len().max(1) * nops);
        for &a in &axes {
            let merges = lens.last().is_some_and(|&len| {
                let inner = &st[st.len() - nops..];
                (0..nops).all(|k| operand_strides[k][a] == len as isize * inner[k])
            });
            if merges {
                *lens.last_mut().unwrap() *= shape[a];
            } else {
                lens.push(shape[a]);
                st.extend(operand_strides.iter().map(|s| s[a]));
            }
        }
        if lens.is_empty() {
            lens.push(1);
            st.resize(nops, 0);
        }
        // Slowest first, operand-major.
        let nd = lens.len();
        let strides = (0..nops)
            .flat_map(|k| (0..nd).rev().map(move |i| (i, k)))
            .map(|(i, k)| st[i * nops + k])
            .collect();
        lens.reverse();
        Plan {
            shape: lens,
            strides,
            nops,
            size,
        }
    }

    /// The number of axes after merging (at least 1).
    ///
    /// ```
    /// assert_eq!(strider::layout::Plan::new(&[2, 3], &[&[3, 1]]).ndim(), 1);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of operands.
    ///
    /// ```
    /// assert_eq!(strider::layout::Plan::new(&[2], &[&[1], &[0]]).nops(), 2);
    /// ```
    pub fn nops(&self) -> usize {
        self.nops
    }

    /// The axis lengths, slowest first, innermost last.
    ///
    /// ```
    /// use strider::layout::Plan;
    /// assert_eq!(Plan::new(&[3, 4], &[&[1, 3]]).shape(), &[12]); // F, merged
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides of one operand, aligned with [`Plan::shape`].
    ///
    /// ```
    /// use strider::layout::Plan;
    /// let p = Plan::new(&[3, 4], &[&[4, 1], &[1, 3]]);
    /// assert_eq!(p.strides(1), &[1, 3]);
    /// ```
    pub fn strides(&self, operand: usize) -> &[isize] {
        let nd = self.ndim();
        &self.strides[operand * nd..(operand + 1) * nd]
    }

    /// The number of elements visited.
    ///
    /// ```
    /// assert_eq!(strider::layout::Plan::new(&[2, 0], &[&[0, 0]]).size(), 0);
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// The length of the inner run (the last axis).
    ///
    /// ```
    /// assert_eq!(strider::layout::Plan::new(&[], &[&[]]).inner_len(), 1);
    /// ```
    pub fn inner_len(&self) -> usize {
        self.shape[self.ndim() - 1]
    }

    /// The stride of one operand along the inner run.
    ///
    /// ```
    /// assert_eq!(strider::layout::Plan::new(&[5], &[&[1], &[-2]]).inner_stride(1), -2);
    /// ```
    pub fn inner_stride(&self, operand: usize) -> isize {
        self.strides(operand)[self.ndim() - 1]
    }

    /// The number of inner runs: the product of all but the last axis (0 for
    /// size 0).
    ///
    /// ```
    /// use strider::layout::Plan;
    /// assert_eq!(Plan::new(&[3, 4], &[&[4, 1], &[1, 3]]).outer_size(), 3);
    /// ```
    pub fn outer_size(&self) -> usize {
        match self.size {
            0 => 0,
            _ => self.shape[..self.ndim() - 1].iter().product(),
        }
    }

    /// Calls `f` for the outer positions `start..end` (clipped to
    /// [`Plan::outer_size`]) in plan order, with each operand's element offset
    /// at the start of that inner run. An odometer: O(1) amortized per step
    /// and a single small allocation per call.
    ///
    /// ```
    /// use strider::layout::Plan;
    /// let p = Plan::new(&[2, 3], &[&[-3, -1]]);
    /// let mut seen = Vec::new();
    /// p.for_each_outer(0, 10, |offs| {
    ///     for i in 0..p.inner_len() as isize {
    ///         seen.push(offs[0] + i * p.inner_stride(0));
    ///     }
    /// });
    /// assert_eq!(seen, vec![0, -1, -2, -3, -4, -5]);
    /// ```
    pub fn for_each_outer(&self, start: usize, end: usize, mut f: impl FnMut(&[isize])) {
        let end = end.min(self.outer_size());
        if start >= end {
            return;
        }
        let (nd, nops) = (self.ndim(), self.nops);
        let outer = nd - 1;
        let stride = |k: usize, ax: usize| self.strides[k * nd + ax];
        let mut buf = vec![0isize; nops + outer];
        let (offs, idx) = buf.split_at_mut(nops);
        self.outer_position(start, offs, idx);
        for _ in start..end {
            f(offs);
            for ax in (0..outer).rev() {
                idx[ax] += 1;
                if (idx[ax] as usize) < self.shape[ax] {
                    offs.iter_mut()
                        .enumerate()
                        .for_each(|(k, o)| *o += stride(k, ax));
                    break;
                }
                let back = idx[ax] - 1;
                idx[ax] = 0;
                offs.iter_mut()
                    .enumerate()
                    .for_each(|(k, o)| *o -= back * stride(k, ax));
            }
        }
    }
}

impl Plan {
    /// Each operand's element offset at the start of inner run `pos` (in
    /// plan order, below [`Plan::outer_size`]) into `offs` (one per
    /// operand), and the run's index on each outer axis into `idx` (one per
    /// axis before the last). O(axes), no allocation.
    ///
    /// ```
    /// use strider::layout::Plan;
    /// let p = Plan::new(&[2, 3, 4], &[&[12, 4, 1], &[1, 2, 6]]);
    /// let (mut offs, mut idx) = ([0isize; 2], [0isize; 2]);
    /// p.outer_position(4, &mut offs, &mut idx);
    /// assert_eq!((offs, idx), ([16, 3], [1, 1]));
    /// ```
    pub fn outer_position(&self, pos: usize, offs: &mut [isize], idx: &mut [isize]) {
        let nd = self.ndim();
        offs.fill(0);
        let mut rem = pos;
        for ax in (0..nd - 1).rev() {
            let i = rem % self.shape[ax];
            rem /= self.shape[ax];
            idx[ax] = i as isize;
            for (k, o) in offs.iter_mut().enumerate() {
                *o += i as isize * self.strides[k * nd + ax];
            }
        }
    }

    /// For a plan whose inner run is shorter than `short`: whether runs can
    /// be joined across the second-innermost axis, as a mask of the
    /// operands that repeat along it (bit `k` for operand `k`; at most 64
    /// operands). Joining `r` runs gives one run of `r * len` elements when
    /// every operand either continues along that axis (`stride == len *
    /// inner stride`) or repeats on it (stride 0); a repeating operand is
    /// then read from a copy of its run repeated `r` times. Operand 0 (the
    /// output) must continue. `None` when the run is long enough, an operand
    /// does neither, or none repeats (then the plan would have merged the
    /// two axes already).
    ///
    /// ```
    /// use strider::layout::Plan;
    /// // img (h*w, 3) * weights (3,): the weights repeat on every pixel.
    /// let p = Plan::new(&[100, 3], &[&[3, 1], &[3, 1], &[0, 1]]);
    /// assert_eq!(p.joinable(64), Some(0b100));
    /// assert_eq!(p.joinable(3), None);
    /// ```
    pub fn joinable(&self, short: usize) -> Option<u64> {
        let nd = self.ndim();
        if nd < 2 || self.inner_len() >= short || self.nops > 64 {
            return None;
        }
        let len = self.inner_len() as isize;
        let mut repeat = 0u64;
        for k in 0..self.nops {
            let s = self.strides(k);
            let (next, inner) = (s[nd - 2], s[nd - 1]);
            if next == len * inner {
                continue;
            }
            if next != 0 || k == 0 {
                return None;
            }
            repeat |= 1 << k;
        }
        (repeat != 0).then_some(repeat)
    }

    /// Whether some operand walks the second-innermost axis with a smaller
    /// (non-zero) stride than the inner axis: operands disagree on the
    /// fastest axis (`a + b.t()`, a transposed copy), and walking whole inner
    /// runs would stream that operand against the grain. Such plans are
    /// walked in square tiles over their last two axes instead.
    ///
    /// ```
    /// use strider::layout::Plan;
    /// assert!(Plan::new(&[64, 64], &[&[64, 1], &[1, 64]]).is_transposed());
    /// assert!(!Plan::new(&[64, 64], &[&[64, 1], &[0, 1]]).is_transposed());
    /// ```
    pub fn is_transposed(&self) -> bool {
        let nd = self.ndim();
        nd >= 2
            && (0..self.nops).any(|k| {
                let s = self.strides(k);
                s[nd - 2] != 0 && s[nd - 2].unsigned_abs() < s[nd - 1].unsigned_abs()
            })
    }

    /// The number of `tile` x `tile` tiles over the last two axes, times
    /// the positions of the other axes (0 for size 0; plans with one axis
    /// count as one row).
    ///
    /// ```
    /// use strider::layout::Plan;
    /// let p = Plan::new(&[2, 70, 40], &[&[2800, 40, 1], &[2800, 1, 70]]);
    /// assert_eq!(p.tile_count(32), 2 * 3 * 2);
    /// ```
    pub fn tile_count(&self, tile: usize) -> usize {
        if self.size == 0 {
            return 0;
        }
        let (outer, ni, nj) = self.tile_axes();
        outer * ni.div_ceil(tile) * nj.div_ceil(tile)
    }

    /// (positions of the axes before the last two, rows, inner length).
    fn tile_axes(&self) -> (usize, usize, usize) {
        let nd = self.ndim();
        let ni = if nd >= 2 { self.shape[nd - 2] } else { 1 };
        let outer = self.shape[..nd.saturating_sub(2)].iter().product();
        (outer, ni, self.shape[nd - 1])
    }

    /// Calls `f(offsets, len)` for every inner run of the tiles
    /// `start..end` (clipped to [`Plan::tile_count`]): tiles are `tile` rows
    /// of the second-innermost axis by `tile` elements of the inner axis,
    /// visited in order (inner-axis tiles fastest), rows in order inside a
    /// tile; `offsets` are each operand's element offset at the start of
    /// the run, `len` its length (shorter at the edges). Together the tiles
    /// visit every element exactly once.
    ///
    /// ```
    /// use strider::layout::Plan;
    /// let p = Plan::new(&[3, 3], &[&[3, 1], &[1, 3]]);
    /// let mut runs = Vec::new();
    /// p.for_each_tile_run(2, 0, p.tile_count(2), |offs, len| runs.push((offs[0], offs[1], len)));
    /// assert_eq!(
    ///     runs,
    ///     vec![(0, 0, 2), (3, 1, 2), (2, 6, 1), (5, 7, 1), (6, 2, 2), (8, 8, 1)]
    /// );
    /// ```
    pub fn for_each_tile_run(
        &self,
        tile: usize,
        start: usize,
        end: usize,
        mut f: impl FnMut(&[isize], usize),
    ) {
        let end = end.min(self.tile_count(tile));
        if start >= end {
            return;
        }
        let (nd, nops) = (self.ndim(), self.nops);
        let (_, ni, nj) = self.tile_axes();
        let (bi, bj) = (ni.div_ceil(tile), nj.div_ceil(tile));
        let stride = |k: usize, ax: usize| self.strides[k * nd + ax];
        let mut buf = vec![0isize; 2 * nops];
        let (base, offs) = buf.split_at_mut(nops);
        for t in start..end {
            let (mut o, rest) = (t / (bi * bj), t % (bi * bj));
            let (ib, jb) = (rest / bj, rest % bj);
            base.fill(0);
            for ax in (0..nd.saturating_sub(2)).rev() {
                let i = (o % self.shape[ax]) as isize;
                o /= self.shape[ax];
                base.iter_mut()
                    .enumerate()
                    .for_each(|(k, b)| *b += i * stride(k, ax));
            }
            let (j0, len) = (jb * tile, tile.min(nj - jb * tile));
            for i in ib * tile..((ib + 1) * tile).min(ni) {
                for k in 0..nops {
                    let row = if nd >= 2 {
                        i as isize * stride(k, nd - 2)
                    } else {
                        0
                    };
                    offs[k] = base[k] + row + j0 as isize * stride(k, nd - 1);
                }
                f(offs, len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visits(p: &Plan) -> Vec<Vec<isize>> {
        let mut out = Vec::new();
        p.for_each_outer(0, p.outer_size(), |offs| {
            for i in 0..p.inner_len() as isize {
                out.push(
                    (0..p.nops())
                        .map(|k| offs[k] + i * p.inner_stride(k))
                        .collect(),
                );
            }
        });
        out
    }

    #[test]
    fn contiguous_operands_merge_to_one_axis() {
        let p = Plan::new(&[2, 3, 4], &[&[12, 4, 1], &[12, 4, 1]]);
        assert_eq!(
            (p.shape(), p.strides(1), p.outer_size()),
            (&[24][..], &[1][..], 1)
        );
        let f = Plan::new(&[2, 3, 4], &[&[1, 2, 6], &[1, 2, 6]]);
        assert_eq!(f.shape(), &[24]);
    }

    #[test]
    fn output_decides_the_order() {
        // out F, in C: the inner axis is axis 0 (out stride 1).
        let p = Plan::new(&[3, 4], &[&[1, 3], &[4, 1]]);
        assert_eq!(
            (p.shape(), p.strides(0), p.strides(1)),
            (&[4, 3][..], &[3, 1][..], &[1, 4][..])
        );
        // A broadcast output axis (stride 0) lets the next operand decide.
        let p = Plan::new(&[3, 4], &[&[0, 0], &[1, 4]]);
        assert_eq!((p.shape(), p.strides(1)), (&[4, 3][..], &[4, 1][..]));
        // ... and merges where every operand allows it.
        assert_eq!(Plan::new(&[3, 4], &[&[0, 0], &[1, 3]]).shape(), &[12]);
    }

    #[test]
    fn broadcast_axes_do_not_merge() {
        let p = Plan::new(&[3, 4], &[&[4, 1], &[0, 1]]);
        assert_eq!((p.shape(), p.strides(1)), (&[3, 4][..], &[0, 1][..]));
        assert_eq!(visits(&p)[5], vec![5, 1]);
    }

    #[test]
    fn scalars_unit_axes_and_empty() {
        let p = Plan::new(&[], &[&[], &[]]);
        assert_eq!((p.shape(), p.size(), p.outer_size()), (&[1][..], 1, 1));
        assert_eq!(visits(&p), vec![vec![0, 0]]);
        let p = Plan::new(&[1, 1], &[&[5, 9]]);
        assert_eq!(visits(&p), vec![vec![0]]);
        let p = Plan::new(&[3, 0], &[&[0, 0], &[1, 3]]);
        assert_eq!((p.size(), p.outer_size(), p.inner_len()), (0, 0, 0));
        assert!(visits(&p).is_empty());
    }

    #[test]
    fn tiles_visit_every_element_once() {
        for (shape, strides) in [
            (vec![5usize, 7, 9], [vec![63isize, 9, 1], vec![1, 5, 35]]),
            (vec![33, 65], [vec![65, 1], vec![1, 33]]),
            (vec![4, 3], [vec![-3, -1], vec![1, 4]]),
            (vec![10], [vec![1], vec![2]]),
        ] {
            let p = Plan::new(&shape, &[&strides[0], &strides[1]]);
            let mut want = visits(&p);
            let mut got = Vec::new();
            let n = p.tile_count(4);
            // Split anywhere: the union of the ranges is the whole walk.
            for (a, b) in [(0, n / 3), (n / 3, n)] {
                p.for_each_tile_run(4, a, b, |offs, len| {
                    for i in 0..len as isize {
                        got.push(vec![
                            offs[0] + i * p.inner_stride(0),
                            offs[1] + i * p.inner_stride(1),
                        ]);
                    }
                });
            }
            want.sort();
            got.sort();
            assert_eq!(got, want, "{shape:?}");
        }
    }

    #[test]
    fn ranges_split_the_walk() {
        let p = Plan::new(&[2, 3, 5], &[&[15, 5, 1], &[1, 2, 6]]);
        assert_eq!(p.ndim(), 3);
        let all = visits(&p);
        let mut parts = Vec::new();
        for (a, b) in [(0, 1), (1, 4), (4, 100)] {
            p.for_each_outer(a, b, |offs| parts.push(offs.to_vec()));
        }
        let starts: Vec<Vec<isize>> = all.chunks(p.inner_len()).map(|c| c[0].clone()).collect();
        assert_eq!(parts, starts);
        p.for_each_outer(3, 2, |_| panic!("empty range"));
    }
}
