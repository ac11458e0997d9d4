package catalog

func init() {
	dynamicPrefixes["packetdrill."] = "the packetdrill parser's and runner's messages, by their English format (engine/packetdrill messageKeys; its keys_test.go checks each), worded by /script"
}
