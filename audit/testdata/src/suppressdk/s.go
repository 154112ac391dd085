package suppressdk

import "net/http"

//poolbench:ignore disablekeepalives the no-reuse mode is measured on purpose
var noReuse = &http.Transport{DisableKeepAlives: true}

var noReuse2 = &http.Transport{DisableKeepAlives: true} // want `DisableKeepAlives`

var noReuse3 = &http.Transport{
	//poolbench:ignore disablekeepalives,newtransport mode under test
	DisableKeepAlives: true,
}
