//! `Array` is `Send + Sync`: views of one buffer may be written from many
//! threads; each kernel holds the buffer's lock for its duration, so writes
//! never race and every view sees them.

use strider::{s, Array, Axes, BinaryOp, DType};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn array_is_send_and_sync() {
    assert_send_sync::<Array>();
}

#[test]
fn threads_write_disjoint_views_of_one_buffer() {
    let a = Array::zeros(&[8, 1000], DType::I64).unwrap();
    std::thread::scope(|scope| {
        for row in 0..8 {
            let v = a.slice(s![row as isize]).unwrap();
            scope.spawn(move || {
                for _ in 0..50 {
                    v.binary_inplace(BinaryOp::Add, row as i64).unwrap();
                }
            });
        }
    });
    let sums = a.sum(1).unwrap().to_vec::<i64>().unwrap();
    for (row, &s) in sums.iter().enumerate() {
        assert_eq!(s, 50 * row as i64 * 1000);
    }
}

#[test]
fn threads_racing_on_the_same_elements_take_turns() {
    // Every thread adds 1 to the whole array 100 times; with the write lock
    // held per kernel, no update is lost.
    let a = Array::zeros(&[4096], DType::I64).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let v = a.clone();
            scope.spawn(move || {
                for _ in 0..100 {
                    v.binary_inplace(BinaryOp::Add, 1).unwrap();
                }
            });
        }
    });
    assert_eq!(a.min(Axes::All).unwrap().item::<i64>().unwrap(), 400);
    assert_eq!(a.max(Axes::All).unwrap().item::<i64>().unwrap(), 400);
}
