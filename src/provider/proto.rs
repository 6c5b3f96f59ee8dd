//! Generated tfplugin5, go-plugin controller and health types. Private: the
//! rest of the provider converts to and from graph values at the edge.
#![allow(clippy::all, missing_docs, dead_code)]

pub mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}

pub mod health {
    tonic::include_proto!("grpc.health.v1");
}
