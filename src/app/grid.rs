//! Where the arrow keys move the focus on the dashboard: the metric panels two per row
//! (an odd one out spanning its row), the alerts strip across the bottom. Panels are in
//! focus order with the alerts last; `n` counts them all.

/// Left/right: the other panel of the row, where there is one.
pub(crate) fn beside(i: usize, n: usize) -> usize {
    let cells = n - 1;
    let other = i ^ 1;
    if i < cells && other < cells { other } else { i }
}

/// Up: the panel above; from the alerts, the last row's first panel.
pub(crate) fn above(i: usize, n: usize) -> usize {
    let cells = n - 1;
    if i >= cells {
        return cells.saturating_sub(if cells % 2 == 1 { 1 } else { 2 });
    }
    if i >= 2 { i - 2 } else { i }
}

/// Down: the panel below (the spanning one under a row of two); from the last row, the alerts.
pub(crate) fn below(i: usize, n: usize) -> usize {
    let cells = n - 1;
    if i + 2 < cells {
        i + 2
    } else if cells % 2 == 1 && i + 1 < cells {
        cells - 1
    } else {
        n - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_panels_and_the_alerts() {
        // 0 1 / 2 3 / 4 5 / alerts 6
        assert_eq!((0..7).map(|i| below(i, 7)).collect::<Vec<_>>(), [2, 3, 4, 5, 6, 6, 6]);
        assert_eq!((0..7).map(|i| above(i, 7)).collect::<Vec<_>>(), [0, 1, 0, 1, 2, 3, 4]);
        assert_eq!((0..7).map(|i| beside(i, 7)).collect::<Vec<_>>(), [1, 0, 3, 2, 5, 4, 6]);
    }

    #[test]
    fn five_panels_the_last_spanning_its_row() {
        // 0 1 / 2 3 / 4 (spanning) / alerts 5
        assert_eq!((0..6).map(|i| below(i, 6)).collect::<Vec<_>>(), [2, 3, 4, 4, 5, 5]);
        assert_eq!((0..6).map(|i| above(i, 6)).collect::<Vec<_>>(), [0, 1, 0, 1, 2, 4]);
        assert_eq!((0..6).map(|i| beside(i, 6)).collect::<Vec<_>>(), [1, 0, 3, 2, 4, 5]);
    }
}
