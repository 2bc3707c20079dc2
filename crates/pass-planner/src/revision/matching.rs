//! Matching the entries of a new revision to those of the previous one by
//! what they say, never by where they stand in the list.

use std::collections::BTreeSet;

/// Lower-cased words of three letters or more: what two texts are compared on.
pub fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// Jaccard similarity of two sets: 1 for equal sets, 0 for disjoint ones
/// (and for two empty ones, which say nothing).
pub fn jaccard<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// Pairs each new entry with at most one old entry, best scores first; pairs
/// scoring below `threshold` stay unmatched. Ties go to the earlier entries,
/// so the result does not depend on anything but the two lists.
pub fn assign(
    new_len: usize,
    old_len: usize,
    threshold: f64,
    score: impl Fn(usize, usize) -> f64,
) -> Vec<Option<usize>> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for n in 0..new_len {
        for o in 0..old_len {
            let s = score(n, o);
            if s >= threshold {
                pairs.push((s, n, o));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut matched = vec![None; new_len];
    let mut taken = vec![false; old_len];
    for (_, n, o) in pairs {
        if matched[n].is_none() && !taken[o] {
            matched[n] = Some(o);
            taken[o] = true;
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_texts_score_high_and_unrelated_ones_low() {
        let a = words("Patients book a free appointment slot");
        let b = words("Patients can book a free appointment slot online");
        let c = words("Export the ledger to CSV");
        assert!(jaccard(&a, &b) > 0.6);
        assert_eq!(jaccard(&a, &c), 0.0);
        assert_eq!(jaccard(&words(""), &words("")), 0.0);
    }

    #[test]
    fn the_best_pairs_win_and_each_old_entry_is_used_once() {
        // new 0 fits old 1 best; new 1 fits old 1 too, but less, so it takes old 0.
        let table = [[0.6, 0.9], [0.7, 0.8]];
        let matched = assign(2, 2, 0.5, |n, o| table[n][o]);
        assert_eq!(matched, vec![Some(1), Some(0)]);
        let none = assign(2, 2, 0.95, |n, o| table[n][o]);
        assert_eq!(none, vec![None, None]);
    }
}
