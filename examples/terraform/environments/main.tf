# dev, qa and prod (with a blue and a green slot) from one address plan and
# one module: no range is chosen by hand, none overlaps on-premises, the
# hub or another environment. Modules need `terraform get` (or `init`).
#
#   terraform get && terraform apply
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

provider "hybridk8s" {}

locals {
  # Written once, read by the hub and the plan: a plan that read the hub
  # resource would wait for it to be applied, and for_each needs its keys
  # while planning.
  hub_address_space = ["10.20.0.0/22"]
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
  address_space       = local.hub_address_space
  gateway             = "expressroute"
}

# Append environments (or a slot) at the end: nothing already allocated moves.
data "hybridk8s_address_plan" "ranges" {
  supernets = ["10.0.0.0/8"]
  reserved  = concat(data.hybridk8s_onprem_network.corp.address_space, local.hub_address_space)

  environment {
    name = "dev"
    size = 16
  }

  environment {
    name = "qa"
    size = 16
  }

  environment {
    name     = "prod"
    size     = 16
    slots    = ["blue", "green"]
    headroom = 1
  }
}

module "environment" {
  source   = "../modules/environment"
  for_each = { for r in data.hybridk8s_address_plan.ranges.ranges : r.key => r }

  name                 = replace(each.key, ".", "-")
  cidr                 = each.value.cidr
  hub_id               = hybridk8s_hub_network.hub.id
  onprem_address_space = data.hybridk8s_onprem_network.corp.address_space
  onprem_dns_servers   = data.hybridk8s_onprem_network.corp.dns_servers
  onprem_domains       = data.hybridk8s_onprem_network.corp.domains
  max_nodes            = each.value.environment == "prod" ? 50 : 10
  database_endpoints   = each.value.environment == "dev" ? [] : ["10.1.8.4"]
}

output "ranges" {
  description = "Every environment and slot with its range."
  value       = data.hybridk8s_address_plan.ranges.allocations
}

output "cluster_network_ids" {
  description = "The cluster network of each range."
  value       = { for k, m in module.environment : k => m.id }
}
