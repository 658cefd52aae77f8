//! venue-core's capabilities (sign-in, integrations, alerts, notifications, views, export, …)
//! import each other in one direction only: no two top-level modules of `src/` reach each other,
//! directly or through others. A cycle is how "one object every capability extends" starts
//! again, so this test reads every source file, builds the graph of `crate::…` references between
//! top-level modules (names re-exported from lib.rs count for the module that defines them), and
//! fails naming each cycle with the files and lines that make it.
//!
//! Test code (`#[cfg(test)]` items) is left out: tests may reach across modules freely.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test reads its own crate's sources; a failure is the test failing"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// One reference from a module to another, with where it was seen.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    at: String,
}

type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/alerts/engine.rs` → `alerts`.
fn top_module(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(list) => list.path.is_ident("cfg") && list.tokens.to_string() == "test",
        _ => false,
    })
}

/// Collects the name after `crate::` of every path, `use` tree and macro body in a file.
struct CrateRefs {
    found: Vec<(String, usize)>,
}

impl CrateRefs {
    fn use_tree(&mut self, tree: &syn::UseTree, after_crate: bool) {
        match tree {
            syn::UseTree::Path(p) if after_crate => {
                self.found
                    .push((p.ident.to_string(), p.ident.span().start().line));
            }
            syn::UseTree::Path(p) if p.ident == "crate" => self.use_tree(&p.tree, true),
            syn::UseTree::Name(n) if after_crate => {
                self.found
                    .push((n.ident.to_string(), n.ident.span().start().line));
            }
            syn::UseTree::Rename(r) if after_crate => {
                self.found
                    .push((r.ident.to_string(), r.ident.span().start().line));
            }
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(item, after_crate);
                }
            }
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for CrateRefs {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            _ => &[],
        };
        if is_test_only(attrs) {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, false);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if let (Some(first), Some(second)) = (segments.next(), segments.next()) {
            if first.ident == "crate" {
                self.found
                    .push((second.ident.to_string(), second.ident.span().start().line));
            }
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Macro bodies are tokens, not paths: find `crate :: name` in them.
        let mut previous: Vec<proc_macro2::TokenTree> = Vec::new();
        fn flatten(stream: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::TokenTree>) {
            for token in stream {
                match token {
                    proc_macro2::TokenTree::Group(g) => flatten(g.stream(), out),
                    other => out.push(other),
                }
            }
        }
        flatten(mac.tokens.clone(), &mut previous);
        for window in previous.windows(4) {
            if let [proc_macro2::TokenTree::Ident(c), proc_macro2::TokenTree::Punct(a), proc_macro2::TokenTree::Punct(b), proc_macro2::TokenTree::Ident(name)] =
                window
            {
                if c == "crate" && a.as_char() == ':' && b.as_char() == ':' {
                    self.found
                        .push((name.to_string(), name.span().start().line));
                }
            }
        }
        syn::visit::visit_macro(self, mac);
    }
}

/// lib.rs's `pub use module::{Name, …}`: which module each re-exported name comes from.
fn reexports(lib: &syn::File, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    fn leaves(tree: &syn::UseTree, out: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => leaves(&p.tree, out),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|i| leaves(i, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut names = BTreeMap::new();
    for item in &lib.items {
        if let syn::Item::Use(u) = item {
            if let syn::UseTree::Path(p) = &u.tree {
                let module = p.ident.to_string();
                if modules.contains(&module) {
                    let mut out = Vec::new();
                    leaves(&p.tree, &mut out);
                    for name in out {
                        names.insert(name, module.clone());
                    }
                }
            }
        }
    }
    names
}

fn crate_graph(src: &Path) -> (BTreeSet<String>, Vec<Edge>) {
    let mut files = Vec::new();
    source_files(src, &mut files);
    files.sort();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(src, f))
        .filter(|m| m != "lib")
        .collect();
    let lib = syn::parse_file(&std::fs::read_to_string(src.join("lib.rs")).unwrap()).unwrap();
    let names = reexports(&lib, &modules);
    let mut edges = Vec::new();
    for file in &files {
        let from = top_module(src, file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let parsed = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let mut refs = CrateRefs { found: Vec::new() };
        refs.visit_file(&parsed);
        for (name, line) in refs.found {
            let to = if modules.contains(&name) {
                name
            } else if let Some(module) = names.get(&name) {
                module.clone()
            } else {
                continue;
            };
            if to != from {
                let at = format!(
                    "{}:{line}",
                    file.strip_prefix(src.parent().unwrap()).unwrap().display()
                );
                edges.push(Edge {
                    from: from.clone(),
                    to,
                    at,
                });
            }
        }
    }
    (modules, edges)
}

fn graph_of(edges: &[Edge]) -> Graph {
    let mut graph = Graph::new();
    for e in edges {
        graph
            .entry(e.from.clone())
            .or_default()
            .entry(e.to.clone())
            .or_default()
            .push(e.at.clone());
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(modules: &BTreeSet<String>, graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        on_stack: BTreeSet<String>,
        stack: Vec<String>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit(s: &mut State, v: &str) {
        s.index.insert(v.to_string(), s.next);
        s.low.insert(v.to_string(), s.next);
        s.next += 1;
        s.stack.push(v.to_string());
        s.on_stack.insert(v.to_string());
        let targets: Vec<String> = s
            .graph
            .get(v)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let low = s.low[v].min(s.low[&w]);
                s.low.insert(v.to_string(), low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[v].min(s.index[&w]);
                s.low.insert(v.to_string(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on_stack: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for m in modules {
        if !state.index.contains_key(m) {
            visit(&mut state, m);
        }
    }
    state.found
}

fn describe(component: &[String], graph: &Graph) -> String {
    let inside: BTreeSet<&String> = component.iter().collect();
    let mut lines = vec![format!("cycle between {}:", component.join(", "))];
    for from in component {
        for (to, at) in graph.get(from).into_iter().flatten() {
            if inside.contains(to) {
                lines.push(format!("  {from} -> {to} (e.g. {})", at[0]));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn venue_core_modules_import_each_other_in_one_direction_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (modules, edges) = crate_graph(&src);
    let graph = graph_of(&edges);
    // The reading itself works: the crate has capabilities and they use the console.
    assert!(modules.len() >= 8, "modules found: {modules:?}");
    assert!(
        graph
            .values()
            .any(|targets| targets.contains_key("console")),
        "no module refers to the console: the reader missed the references ({edges:?})"
    );
    let found = cycles(&modules, &graph);
    let report: Vec<String> = found.iter().map(|c| describe(c, &graph)).collect();
    let layers: Vec<String> = graph
        .iter()
        .map(|(from, to)| {
            format!(
                "  {from} -> {}",
                to.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "{}\nall references:\n{}",
        report.join("\n"),
        layers.join("\n")
    );
}

#[test]
fn the_reader_finds_a_cycle_through_uses_paths_macros_and_reexports() {
    let dir = std::env::temp_dir().join(format!("module-graph-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("alerts")).unwrap();
    std::fs::write(
        src.join("lib.rs"),
        "mod alerts; mod views; mod console; mod demo; pub use console::Console;",
    )
    .unwrap();
    std::fs::write(src.join("console.rs"), "pub struct Console;").unwrap();
    std::fs::write(src.join("demo.rs"), "pub fn seed() {}").unwrap();
    // alerts -> views through a grouped use; views -> alerts through a macro body; both ->
    // console through the re-exported name; test-only references do not count.
    std::fs::write(
        src.join("alerts/mod.rs"),
        "use crate::{views::AlertView, Console};\n#[cfg(test)] mod tests { use crate::demo::seed; }",
    )
    .unwrap();
    std::fs::write(
        src.join("views.rs"),
        "fn f(_: &crate::Console) { tracing::info!(\"{}\", crate::alerts::X); }",
    )
    .unwrap();
    let (modules, edges) = crate_graph(&src);
    let graph = graph_of(&edges);
    let found = cycles(&modules, &graph);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, vec![vec!["alerts".to_string(), "views".to_string()]]);
    assert!(graph["alerts"].contains_key("console"));
    assert!(graph["views"].contains_key("console"));
    assert!(
        !graph["alerts"].contains_key("demo"),
        "test code counted: {graph:?}"
    );
}
