//! Azure's regions, by the short name ARM answers with (`westeurope`) and
//! the display name the portal shows (`West Europe`). A location is checked
//! at plan against this list for every backend.
//!
//! ARM accepts a display name on write but answers with the short name, and
//! a network's location cannot change in place: a display name in the
//! configuration would read back as a change that replaces the network. So
//! only the short name is accepted; a display name, or the short name in
//! another case, is refused with the name to write instead.

/// The cloud a region belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionCloud {
    Public,
    UsGovernment,
    China,
}

/// One region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// What ARM answers with, and what a configuration must say.
    pub name: &'static str,
    /// The portal's name.
    pub display_name: &'static str,
    pub cloud: RegionCloud,
}

const fn public(name: &'static str, display_name: &'static str) -> Region {
    Region {
        name,
        display_name,
        cloud: RegionCloud::Public,
    }
}

const fn gov(name: &'static str, display_name: &'static str) -> Region {
    Region {
        name,
        display_name,
        cloud: RegionCloud::UsGovernment,
    }
}

const fn china(name: &'static str, display_name: &'static str) -> Region {
    Region {
        name,
        display_name,
        cloud: RegionCloud::China,
    }
}

/// Every region (`az account list-locations`, physical regions only).
pub const REGIONS: &[Region] = &[
    // Americas
    public("eastus", "East US"),
    public("eastus2", "East US 2"),
    public("centralus", "Central US"),
    public("northcentralus", "North Central US"),
    public("southcentralus", "South Central US"),
    public("westcentralus", "West Central US"),
    public("westus", "West US"),
    public("westus2", "West US 2"),
    public("westus3", "West US 3"),
    public("canadacentral", "Canada Central"),
    public("canadaeast", "Canada East"),
    public("brazilsouth", "Brazil South"),
    public("brazilsoutheast", "Brazil Southeast"),
    public("mexicocentral", "Mexico Central"),
    public("chilecentral", "Chile Central"),
    // Europe
    public("westeurope", "West Europe"),
    public("northeurope", "North Europe"),
    public("uksouth", "UK South"),
    public("ukwest", "UK West"),
    public("francecentral", "France Central"),
    public("francesouth", "France South"),
    public("germanywestcentral", "Germany West Central"),
    public("germanynorth", "Germany North"),
    public("switzerlandnorth", "Switzerland North"),
    public("switzerlandwest", "Switzerland West"),
    public("norwayeast", "Norway East"),
    public("norwaywest", "Norway West"),
    public("swedencentral", "Sweden Central"),
    public("swedensouth", "Sweden South"),
    public("polandcentral", "Poland Central"),
    public("italynorth", "Italy North"),
    public("spaincentral", "Spain Central"),
    // Asia Pacific
    public("australiaeast", "Australia East"),
    public("australiasoutheast", "Australia Southeast"),
    public("australiacentral", "Australia Central"),
    public("australiacentral2", "Australia Central 2"),
    public("newzealandnorth", "New Zealand North"),
    public("eastasia", "East Asia"),
    public("southeastasia", "Southeast Asia"),
    public("japaneast", "Japan East"),
    public("japanwest", "Japan West"),
    public("koreacentral", "Korea Central"),
    public("koreasouth", "Korea South"),
    public("centralindia", "Central India"),
    public("southindia", "South India"),
    public("westindia", "West India"),
    public("jioindiacentral", "Jio India Central"),
    public("jioindiawest", "Jio India West"),
    public("indonesiacentral", "Indonesia Central"),
    public("malaysiawest", "Malaysia West"),
    // Middle East and Africa
    public("uaenorth", "UAE North"),
    public("uaecentral", "UAE Central"),
    public("qatarcentral", "Qatar Central"),
    public("israelcentral", "Israel Central"),
    public("southafricanorth", "South Africa North"),
    public("southafricawest", "South Africa West"),
    // Azure Government
    gov("usgovvirginia", "USGov Virginia"),
    gov("usgovarizona", "USGov Arizona"),
    gov("usgovtexas", "USGov Texas"),
    gov("usdodcentral", "USDoD Central"),
    gov("usdodeast", "USDoD East"),
    // Azure operated by 21Vianet
    china("chinaeast", "China East"),
    china("chinaeast2", "China East 2"),
    china("chinaeast3", "China East 3"),
    china("chinanorth", "China North"),
    china("chinanorth2", "China North 2"),
    china("chinanorth3", "China North 3"),
];

/// What a location names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A region, by its short name.
    Known(&'static Region),
    /// A region, but not as ARM answers (a display name, another case):
    /// write `Region::name` instead.
    Spelled(&'static Region),
    /// No region; the closest short name when one is near.
    Unknown { suggestion: Option<&'static str> },
}

/// The region of a location.
pub fn lookup(location: &str) -> Lookup {
    if let Some(r) = REGIONS.iter().find(|r| r.name == location) {
        return Lookup::Known(r);
    }
    let squeezed: String = location
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .collect::<String>()
        .to_lowercase();
    if let Some(r) = REGIONS.iter().find(|r| r.name == squeezed) {
        return Lookup::Spelled(r);
    }
    let names: Vec<&'static str> = REGIONS.iter().map(|r| r.name).collect();
    Lookup::Unknown {
        suggestion: super::schema::closest(&squeezed, &names),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_display_names_and_typos() {
        assert!(matches!(lookup("westeurope"), Lookup::Known(r) if r.display_name == "West Europe"));
        for spelled in ["West Europe", "WestEurope", "west-europe", "WESTEUROPE"] {
            assert!(
                matches!(lookup(spelled), Lookup::Spelled(r) if r.name == "westeurope"),
                "{spelled}"
            );
        }
        assert_eq!(
            lookup("westeruope"),
            Lookup::Unknown {
                suggestion: Some("westeurope")
            }
        );
        assert_eq!(lookup("atlantis"), Lookup::Unknown { suggestion: None });
        assert!(matches!(lookup("usgovvirginia"), Lookup::Known(r) if r.cloud == RegionCloud::UsGovernment));
        assert!(matches!(lookup("China North 3"), Lookup::Spelled(r) if r.cloud == RegionCloud::China));
    }

    #[test]
    fn names_are_unique_and_match_their_display_names() {
        for (i, r) in REGIONS.iter().enumerate() {
            assert!(REGIONS[i + 1..].iter().all(|o| o.name != r.name), "{} twice", r.name);
            let squeezed: String = r.display_name.split_whitespace().collect::<String>().to_lowercase();
            assert_eq!(squeezed, r.name, "{}", r.display_name);
        }
    }
}
