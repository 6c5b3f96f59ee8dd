# One environment: the cluster network in its own range, peered to the
# hub, on-premises DNS as upstream, an on-premises backend as a Service,
# and an internal load balancer. Instantiated once per range of an address
# plan (see ../../environments/main.tf).
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

variable "name" {
  type        = string
  description = "Environment (and slot) name, e.g. dev or prod-green: names the VNET and its resource group."
}

variable "cidr" {
  type        = string
  description = "The cluster network's range, from the address plan."
}

variable "location" {
  type        = string
  description = "Azure region of the cluster network."
  default     = "westeurope"
}

variable "hub_id" {
  type        = string
  description = "ID of the hub network to peer with."
}

variable "use_remote_gateways" {
  type        = bool
  description = "Reach on-premises through the hub's gateway (the hub must have one)."
  default     = true
}

variable "onprem_address_space" {
  type        = list(string)
  description = "On-premises ranges the cluster must not overlap."
}

variable "onprem_dns_servers" {
  type        = list(string)
  description = "On-premises DNS servers: the cluster's upstream."
}

variable "onprem_domains" {
  type        = list(string)
  description = "On-premises DNS domains, resolved by the on-premises servers."
  default     = []
}

variable "max_nodes" {
  type        = number
  description = "Most nodes the cluster scales to (sizes the node subnet)."
  default     = 20
}

variable "database_endpoints" {
  type        = list(string)
  description = "On-premises addresses of the database, exposed in the cluster as the Service `database`."
  default     = []
}

resource "hybridk8s_cluster_network" "this" {
  name                = "k8s-${var.name}-vnet"
  resource_group_name = "k8s-${var.name}-rg"
  location            = var.location
  address_space       = [var.cidr]
  plugin              = "azure_cni"
  max_nodes           = var.max_nodes
  max_pods            = 30
  internal_lb_ips     = 1
  service_cidr        = "172.16.0.0/16"
  dns_service_ip      = "172.16.0.10"
  avoid               = var.onprem_address_space
}

resource "hybridk8s_peering" "hub" {
  cluster_network_id  = hybridk8s_cluster_network.this.id
  hub_id              = var.hub_id
  use_remote_gateways = var.use_remote_gateways
}

resource "hybridk8s_dns_upstream" "onprem" {
  cluster_network_id = hybridk8s_cluster_network.this.id
  flavor             = "coredns_aks"
  nameservers        = var.onprem_dns_servers
  stub_domains       = { for d in var.onprem_domains : d => var.onprem_dns_servers }
}

resource "hybridk8s_external_service" "database" {
  count              = length(var.database_endpoints) > 0 ? 1 : 0
  cluster_network_id = hybridk8s_cluster_network.this.id
  name               = "database"
  endpoints          = var.database_endpoints

  ports {
    port        = 5432
    target_port = 5432
  }
}

resource "hybridk8s_lb_service" "ingress" {
  cluster_network_id = hybridk8s_cluster_network.this.id
  name               = "ingress-internal"
  selector           = { app = "ingress" }
  internal           = true

  ports {
    port = 443
  }
}

output "id" {
  description = "ID of the cluster network."
  value       = hybridk8s_cluster_network.this.id
}

output "address_space" {
  description = "The cluster network's range."
  value       = hybridk8s_cluster_network.this.address_space
}

output "node_subnet_cidr" {
  description = "The node subnet, sized from max_nodes."
  value       = hybridk8s_cluster_network.this.node_subnet_cidr
}

output "ingress_id" {
  description = "ID of the internal load-balanced ingress Service."
  value       = hybridk8s_lb_service.ingress.id
}
