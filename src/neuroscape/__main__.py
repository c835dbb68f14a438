from neuroscape.cli import main

main()
