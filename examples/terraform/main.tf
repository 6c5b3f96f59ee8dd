# The seed topology in HCL: the same network as examples/hybrid.hk.
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

variable "backend" {
  type        = string
  description = "Where resources are realized: local (the embedded fabric) or azure (ARM, credentials from ARM_*)."
  default     = "local"
}

variable "state_path" {
  type        = string
  description = "Local fabric database."
  default     = ".hybridk8s/fabric.db"
}

variable "kubeconfig_path" {
  type        = string
  description = "Kubeconfig of the cluster the DNS upstream and the Services are applied to (backend azure); null: KUBECONFIG, then ~/.kube/config."
  default     = null
}

provider "hybridk8s" {
  backend         = var.backend
  state_path      = var.state_path
  kubeconfig_path = var.kubeconfig_path
}

data "hybridk8s_onprem_network" "corp" {
  name          = "corp"
  address_space = ["10.0.0.0/12", "192.168.0.0/16"]
  dns_servers   = ["10.1.0.4", "10.1.0.5"]
  domains       = ["my-company.local"]
}

resource "hybridk8s_hub_network" "hub" {
  name                = "hub"
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = ["10.20.0.0/22"]
  gateway             = "expressroute"
}

resource "hybridk8s_cluster_network" "aks" {
  name                = "k8s-dev-vnet"
  resource_group_name = "k8s-dev-rg"
  location            = "westeurope"
  address_space       = ["10.40.0.0/16"]
  plugin              = "azure_cni"
  max_nodes           = 50
  max_pods            = 30
  internal_lb_ips     = 1
  service_cidr        = "172.16.0.0/16"
  dns_service_ip      = "172.16.0.10"
  avoid               = data.hybridk8s_onprem_network.corp.address_space
}

resource "hybridk8s_peering" "aks_hub" {
  cluster_network_id  = hybridk8s_cluster_network.aks.id
  hub_id              = hybridk8s_hub_network.hub.id
  use_remote_gateways = true
}

resource "hybridk8s_dns_upstream" "aks_dns" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  flavor             = "coredns_aks"
  nameservers        = data.hybridk8s_onprem_network.corp.dns_servers
  stub_domains = {
    "my-company.local" = data.hybridk8s_onprem_network.corp.dns_servers
  }
}

resource "hybridk8s_external_service" "random_api" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name               = "external-random-api"
  endpoints          = ["10.1.8.4"]

  ports {
    port        = 80
    target_port = 8080
  }
}

resource "hybridk8s_external_service" "database" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name               = "database"
  external_name      = "db.my-company.local"
}

resource "hybridk8s_lb_service" "web" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name               = "web-public"
  selector           = { app = "web" }

  ports {
    port        = 443
    target_port = 8443
  }
}

resource "hybridk8s_lb_service" "nginx" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name               = "nginx-internal"
  selector           = { app = "nginx" }
  internal           = true

  ports {
    port = 80
  }
}

output "node_subnet_cidr" {
  value = hybridk8s_cluster_network.aks.node_subnet_cidr
}

output "required_ip_count" {
  value = hybridk8s_cluster_network.aks.required_ip_count
}
