//! The graph of modules and its cycles: nodes named by module path (`crate`, `a`,
//! `a::b`), an edge `a → b` when code of `a` uses an item defined in `b`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The node of the crate root (`lib.rs` or `main.rs`) in a [`ModuleGraph`].
pub const ROOT: &str = "crate";

/// Where one dependency was seen: the file and line of its first occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The file, as given to [`crate::module_graph`] (joined onto the root's directory).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

/// The "uses" dependencies between the modules of one crate root.
#[derive(Clone, Debug, Default)]
pub struct ModuleGraph {
    /// Module paths without the `crate::` prefix (`a`, `a::b`), and [`ROOT`].
    pub modules: BTreeSet<String>,
    /// `from → to → where it was first seen`.
    pub edges: BTreeMap<String, BTreeMap<String, Site>>,
    /// Files of the tree that could not be found (a declared `mod x;` without `x.rs`).
    pub missing: Vec<PathBuf>,
}

/// The top-level module holding `module` (itself if top-level; [`ROOT`] for the root).
pub fn top_level_of(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

impl ModuleGraph {
    /// Records `from → to` seen at `site`, unless it is a self-loop or already known
    /// (the first site stays).
    pub fn add_edge(&mut self, from: &str, to: &str, site: Site) {
        if from != to {
            self.edges
                .entry(from.to_owned())
                .or_default()
                .entry(to.to_owned())
                .or_insert(site);
        }
    }

    /// The graph of top-level modules: every module merged into its top-level module
    /// (`a::b::c` into `a`), edges between them kept (inside one, dropped). Of merged
    /// edges the site of the first `from` module in path order stays (a parent's before
    /// its children's).
    pub fn top_level(&self) -> ModuleGraph {
        let mut g = ModuleGraph {
            modules: self
                .modules
                .iter()
                .map(|m| top_level_of(m).to_owned())
                .collect(),
            edges: BTreeMap::new(),
            missing: self.missing.clone(),
        };
        for (from, tos) in &self.edges {
            for (to, site) in tos {
                g.add_edge(top_level_of(from), top_level_of(to), site.clone());
            }
        }
        g
    }

    /// Every cycle, one per strongly connected component of two or more modules, each
    /// as a closed walk `a → b → … → a` through that component.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        self.tangles()
            .into_iter()
            .filter_map(|c| self.cycle_in(&c))
            .collect()
    }

    /// The strongly connected components of two or more modules (each a set of modules
    /// that all reach each other), in a stable order.
    pub fn tangles(&self) -> Vec<BTreeSet<String>> {
        let mut t: Vec<BTreeSet<String>> = self
            .components()
            .into_iter()
            .filter(|c| c.len() > 1)
            .collect();
        t.sort();
        t
    }

    /// Every edge inside `comp`, one line each with where it was first seen.
    pub fn describe_tangle(&self, comp: &BTreeSet<String>) -> String {
        let mut s = String::new();
        for from in comp {
            for (to, site) in self.edges.get(from).into_iter().flatten() {
                if comp.contains(to) {
                    s.push_str(&format!(
                        "  {from} → {to} ({}:{})\n",
                        site.file.display(),
                        site.line
                    ));
                }
            }
        }
        s
    }

    fn successors<'a>(&'a self, m: &str) -> impl Iterator<Item = &'a String> + 'a {
        self.edges.get(m).into_iter().flat_map(|e| e.keys())
    }

    /// Strongly connected components (Tarjan), each sorted.
    fn components(&self) -> Vec<BTreeSet<String>> {
        struct T<'g> {
            g: &'g ModuleGraph,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            on: BTreeSet<&'g str>,
            next: usize,
            out: Vec<BTreeSet<String>>,
        }
        fn visit<'g>(t: &mut T<'g>, v: &'g str) {
            t.index.insert(v, t.next);
            t.low.insert(v, t.next);
            t.next += 1;
            t.stack.push(v);
            t.on.insert(v);
            let succ: Vec<&'g String> = t.g.successors(v).collect();
            for w in succ {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low[v];
                    t.low.insert(v, lv.min(lw));
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low[v];
                    t.low.insert(v, lv.min(iw));
                }
            }
            if t.low[v] == t.index[v] {
                let mut c = BTreeSet::new();
                while let Some(w) = t.stack.pop() {
                    t.on.remove(w);
                    c.insert(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                t.out.push(c);
            }
        }
        let mut t = T {
            g: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on: BTreeSet::new(),
            next: 0,
            out: Vec::new(),
        };
        for m in &self.modules {
            if !t.index.contains_key(m.as_str()) {
                visit(&mut t, m);
            }
        }
        t.out
    }

    /// A shortest cycle through the first module of `comp`, inside `comp`.
    fn cycle_in(&self, comp: &BTreeSet<String>) -> Option<Vec<String>> {
        let start = comp.iter().next()?;
        // BFS from start's successors back to start.
        let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::new();
        queue.push_back(start.as_str());
        let mut seen = BTreeSet::new();
        while let Some(v) = queue.pop_front() {
            for w in self.successors(v) {
                if !comp.contains(w) {
                    continue;
                }
                if w == start {
                    let mut back = Vec::new();
                    let mut x = v;
                    while x != start {
                        back.push(x.to_owned());
                        x = prev.get(x).copied()?;
                    }
                    let mut walk = vec![start.clone()];
                    walk.extend(back.into_iter().rev());
                    walk.push(start.clone());
                    return Some(walk);
                }
                if seen.insert(w.as_str()) {
                    prev.insert(w.as_str(), v);
                    queue.push_back(w.as_str());
                }
            }
        }
        None
    }

    /// `a → b (file:line) → …` for messages.
    pub fn describe(&self, cycle: &[String]) -> String {
        let mut s = String::new();
        for pair in cycle.windows(2) {
            let site = self.edges.get(&pair[0]).and_then(|e| e.get(&pair[1]));
            match site {
                Some(site) => s.push_str(&format!(
                    "{} → {} ({}:{})\n",
                    pair[0],
                    pair[1],
                    site.file.display(),
                    site.line
                )),
                None => s.push_str(&format!("{} → {}\n", pair[0], pair[1])),
            }
        }
        s
    }
}
