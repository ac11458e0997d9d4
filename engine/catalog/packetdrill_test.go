package catalog

func init() {
	dynamicPrefixes["import.why."] = "what each of tshark's TCP analysis flags means (web importNarration, by engine/passive Anomaly.Key)"
	dynamicPrefixes["packetdrill."] = "the packetdrill parser's and runner's messages, by their English format (engine/packetdrill messageKeys; its keys_test.go checks each), worded by /script"
}
