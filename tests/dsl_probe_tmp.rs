#[test]
fn probe() {
    let path = std::env::var("HK").unwrap();
    match hybridk8s::dsl::load(std::path::Path::new(&path), &Default::default()) {
        Ok(p) => {
            let d = hybridk8s::graph::check(&p.graph);
            println!("{} resources", p.graph.len());
            print!("{}", p.render_plain(&d));
        }
        Err(e) => print!("{}", e.render_plain()),
    }
}
