# Blue/green for prod: two slots of one environment in the address plan,
# each a cluster network (with its peering, DNS upstream, Services and
# internal load balancer) from the environment module. `live_slots` says
# which are live; the switch-over is three applies, each a clean plan:
#
#   terraform get
#   terraform apply -var 'live_slots=["blue"]'            # step 1: blue
#   terraform apply -var 'live_slots=["blue","green"]'    # step 2: both (only creates)
#   terraform apply -var 'live_slots=["green"]'           # step 3: green (only destroys)
#
# Both ranges are allocated whether a slot is live or not, so a slot comes
# back in the range it had, and the hub and the other slot never change.
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

provider "hybridk8s" {}

variable "live_slots" {
  type        = list(string)
  description = "The prod slots that are live: [\"blue\"], [\"blue\", \"green\"] or [\"green\"]."
  default     = ["blue"]

  validation {
    condition     = length(var.live_slots) > 0 && alltrue([for s in var.live_slots : contains(["blue", "green"], s)])
    error_message = "The live_slots must name blue, green or both."
  }
}

locals {
  # Written once, read by the hub and the plan: for_each needs the plan's
  # keys while planning, before the hub exists.
  hub_address_space = ["10.20.0.0/22"]
}

data "hybridk8s_onprem_network" "corp" {
  name          = "corp"
  address_space = ["10.0.0.0/12", "192.168.0.0/16"]
  dns_servers   = ["10.1.0.4", "10.1.0.5"]
  domains       = ["my-company.local"]
}

# Each live slot peers here with gateway transit (a hub holds at most 500
# peerings); each slot's VNET uses the gateway through this peering only.
resource "hybridk8s_hub_network" "hub" {
  name                = "hub"
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = local.hub_address_space
  gateway             = "expressroute"
}

data "hybridk8s_address_plan" "ranges" {
  supernets = ["10.0.0.0/8"]
  reserved  = concat(data.hybridk8s_onprem_network.corp.address_space, local.hub_address_space)

  environment {
    name     = "prod"
    size     = 16
    slots    = ["blue", "green"]
    headroom = 1
  }
}

module "slot" {
  source = "../modules/environment"
  for_each = {
    for r in data.hybridk8s_address_plan.ranges.ranges : r.slot => r
    if contains(var.live_slots, r.slot)
  }

  name                 = "prod-${each.key}"
  cidr                 = each.value.cidr
  hub_id               = hybridk8s_hub_network.hub.id
  onprem_address_space = data.hybridk8s_onprem_network.corp.address_space
  onprem_dns_servers   = data.hybridk8s_onprem_network.corp.dns_servers
  onprem_domains       = data.hybridk8s_onprem_network.corp.domains
  max_nodes            = 50
  database_endpoints   = ["10.1.8.4"]
}

output "slots" {
  description = "Each prod slot with its range, live or not."
  value       = { for r in data.hybridk8s_address_plan.ranges.ranges : r.slot => r.cidr }
}

output "live" {
  description = "The cluster network of each live slot."
  value       = { for k, m in module.slot : k => m.id }
}
