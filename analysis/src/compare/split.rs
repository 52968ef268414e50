//! The speedup split among Memento's features by Shapley values: each
//! feature gets its marginal speedup averaged over every order in which the
//! four could be switched on, so the parts add up to the whole speedup and
//! no order is favoured (leave-one-out would count the interactions, such
//! as the page allocator mattering only once objects live in its region,
//! twice or not at all).

use super::mode::{Feature, Features};
use super::model::Split;

/// The split of `value(Features::ALL) - value(Features::NONE)`, where
/// `value` gives the speedup of each of the 16 combinations.
pub fn shapley(value: impl Fn(Features) -> f64) -> Split {
    let n = Feature::ALL.len();
    let factorial = |k: usize| (1..=k).product::<usize>() as f64;
    let mut parts = [0.0; 4];
    for (i, &feature) in Feature::ALL.iter().enumerate() {
        for s in Features::every().filter(|s| !s.has(feature)) {
            let k = s.len() as usize;
            let weight = factorial(k) * factorial(n - k - 1) / factorial(n);
            parts[i] += weight * (value(s.with(feature)) - value(s));
        }
    }
    Split {
        object_alloc: parts[0],
        object_free: parts[1],
        page_management: parts[2],
        bypass: parts[3],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additive_features_get_their_own_gain() {
        let gains = [0.05, 0.04, 0.03, 0.01];
        let split = shapley(|s| {
            Feature::ALL
                .iter()
                .zip(gains)
                .filter(|(f, _)| s.has(**f))
                .map(|(_, g)| g)
                .sum()
        });
        for (part, gain) in split.parts().iter().zip(gains) {
            assert!((part - gain).abs() < 1e-12);
        }
    }

    #[test]
    fn an_interaction_is_shared_and_the_parts_add_up() {
        // Page management helps only with object allocation on.
        let value = |s: Features| {
            let a = if s.has(Feature::ObjectAlloc) {
                0.10
            } else {
                0.0
            };
            let p = if s.has(Feature::ObjectAlloc) && s.has(Feature::PageManagement) {
                0.06
            } else {
                0.0
            };
            a + p
        };
        let split = shapley(value);
        assert!((split.object_alloc - 0.13).abs() < 1e-12);
        assert!((split.page_management - 0.03).abs() < 1e-12);
        assert_eq!((split.object_free, split.bypass), (0.0, 0.0));
        assert!((split.total() - value(Features::ALL)).abs() < 1e-12);
    }
}
