from karabakh_map.cli import main

raise SystemExit(main())
